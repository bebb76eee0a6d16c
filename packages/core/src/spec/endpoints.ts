/**
 * The model endpoints of a validated spec, as the LLM client and the roles use them: each entry with
 * its id, the serving model of each agent, and the judge model of each lens.
 */
import { MaspoError } from "../errors.js";
import type { Lens, ModelEntry, RunSpec } from "./schema.js";

export type ModelEndpoint = ModelEntry & { id: string };

/** Every declared endpoint, in declaration order. */
export function listModelEndpoints(spec: RunSpec): ModelEndpoint[] {
  return Object.entries(spec.models).map(([id, entry]) => ({ ...entry, id }));
}

/** The simlm world an endpoint simulates, or undefined for a real endpoint. */
export function simlmWorldOf(endpoint: Pick<ModelEntry, "baseURL">): string | undefined {
  const match = /^simlm:\/\/(.+)$/.exec(endpoint.baseURL);
  return match?.[1];
}

/** The serving model id of an agent: its own, else serving.default (validation guarantees one). */
export function servingModelOf(spec: RunSpec, agentId: string): string {
  const agent = spec.graph.agents.find((a) => a.id === agentId);
  const model = agent?.model ?? spec.serving?.default;
  if (model === undefined) {
    throw new MaspoError(
      "E_SPEC_UNVALIDATED",
      `agent "${agentId}" has no serving model: validate the spec (validateSpec/loadSpecFile) before using it`,
    );
  }
  return model;
}

/** The judge model id of each lens. */
export function evaluationModelsOf(spec: RunSpec): Record<Lens, string> {
  const e = spec.evaluation;
  return "model" in e
    ? { local: e.model, lookahead: e.model, global: e.model }
    : { local: e.local, lookahead: e.lookahead, global: e.global };
}

/** The ids of the endpoints a run calls: serving, evaluation and optimizer. */
export function usedEndpointIds(spec: RunSpec): string[] {
  const ids = new Set<string>(spec.graph.agents.map((a) => servingModelOf(spec, a.id)));
  for (const id of Object.values(evaluationModelsOf(spec))) ids.add(id);
  ids.add(spec.optimizer.model);
  return [...ids];
}

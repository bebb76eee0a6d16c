/**
 * The finish (method step 7): the held-out split is run exactly twice — under the initial and the
 * final prompt sets — and only now, after optimization; per-agent deltas and unrepaired cases are
 * measured on the train pool. Everything goes through the same workers as the loop.
 */
import { createHash } from "node:crypto";
import { type AgentGraph, Rng, successorsOf } from "@maspo/core";
import { type Example, type Trace, meanFinalScore } from "@maspo/core";
import type { EngineWorkers, JointWeights } from "@maspo/core";
import { drawMinibatch } from "./minibatch.js";
import type { UnrepairedCase } from "./report/build-report.js";
import type { Report } from "./report/report-schema.js";
import type { RunState } from "./run-state.js";

export interface FinishInput {
  graph: AgentGraph;
  initialPrompts: Record<string, string>;
  finalPrompts: Record<string, string>;
  train: Example[];
  heldOut: Example[];
  state: RunState;
  seed: number;
  minibatchSize: number;
  weights: JointWeights;
}

export interface FinishResult {
  heldOut: { baseline: number; final: number; examples: number; hash: string };
  perAgent: Report["delta"]["perAgent"];
  unrepaired: UnrepairedCase[];
  baselineTraces: Trace[];
  finalTraces: Trace[];
}

/** A stable fingerprint of the held-out split, recorded in the report so a reader can check which data it is. */
export function splitHash(examples: readonly Example[]): string {
  const h = createHash("sha256");
  for (const e of examples) h.update(`${e.id}\u0000${e.input}\u0000${e.label ?? ""}\u0001`);
  return h.digest("hex").slice(0, 16);
}

export async function finish(input: FinishInput, workers: EngineWorkers): Promise<FinishResult> {
  const runAll = (prompts: Record<string, string>, examples: readonly Example[]) =>
    Promise.all(examples.map((example) => workers.runGraph({ prompts, example })));

  const [baselineTraces, finalTraces] = [
    await runAll(input.initialPrompts, input.heldOut),
    await runAll(input.finalPrompts, input.heldOut),
  ];

  const rng = Rng.derive(input.seed, "finish", "per-agent");
  const minibatch = drawMinibatch(rng, input.train, input.minibatchSize);
  const base = await runAll(input.finalPrompts, minibatch);
  const perAgent: Report["delta"]["perAgent"] = {};
  for (const agent of input.graph.agents) {
    const initial = input.initialPrompts[agent.id] as string;
    const final = input.finalPrompts[agent.id] as string;
    if (initial === final) {
      perAgent[agent.id] = { local: 0, lookahead: successorsOf(input.graph, agent.id).length > 0 ? 0 : null, global: 0 };
      continue;
    }
    const e = await workers.evaluate({
      agentId: agent.id,
      candidate: final,
      reference: initial,
      prompts: { ...input.finalPrompts, [agent.id]: initial },
      minibatch,
      baseTraces: base,
      weights: input.weights,
      lookahead: true,
    });
    perAgent[agent.id] = {
      local: e.lenses.local - 0.5,
      lookahead: e.lenses.lookahead === null ? null : e.lenses.lookahead - 0.5,
      global: e.lenses.global - 0.5,
    };
  }

  // Buffer cases: does the final prompt set now get their examples right?
  const byId = new Map(input.train.map((e) => [e.id, e]));
  const caseExamples = [...new Set(input.state.buffer.map((c) => c.exampleId))].sort().flatMap((id) => {
    const e = byId.get(id);
    return e ? [e] : [];
  });
  const caseTraces = new Map((await runAll(input.finalPrompts, caseExamples)).map((t) => [t.exampleId, t]));
  const unrepaired: UnrepairedCase[] = input.state.buffer.map((c) => {
    const t = caseTraces.get(c.exampleId);
    const agent = input.graph.agents.find((a) => a.id === c.agentId);
    const upstreamFailed = (agent?.predecessors ?? []).some((p) => t?.steps[p]?.status !== "ok");
    return {
      agentId: c.agentId,
      exampleId: c.exampleId,
      category: c.category,
      finalScore: t?.finalScore ?? null,
      upstreamFailed,
      strength: c.strength,
    };
  });

  return {
    heldOut: {
      baseline: meanFinalScore(baselineTraces) ?? 0,
      final: meanFinalScore(finalTraces) ?? 0,
      examples: input.heldOut.length,
      hash: splitHash(input.heldOut),
    },
    perAgent,
    unrepaired,
    baselineTraces,
    finalTraces,
  };
}

/** A one-line account of a valid spec, so `maspo validate` says what it accepted, not just "ok". */
import { type RunSpec, listModelEndpoints, topologicalOrder, agentGraphOf } from "@maspo/core";

function datasetSummary(spec: RunSpec): string {
  const s = spec.dataset.source;
  if (s.kind === "inline") return `inline dataset (${s.train.length} train, ${s.heldOut.length} held-out)`;
  if (s.kind === "jsonl") return "JSONL dataset";
  const sizes = [s.train !== undefined ? `${s.train} train` : "", s.heldOut !== undefined ? `${s.heldOut} held-out` : ""].filter(Boolean);
  return `simlm world "${s.world}"${sizes.length > 0 ? ` (${sizes.join(", ")})` : ""}`;
}

export function summarizeSpec(spec: RunSpec): string {
  const graph = agentGraphOf(spec);
  const order = topologicalOrder(graph).join(" → ");
  const models = listModelEndpoints(spec)
    .map((m) => m.id)
    .join(", ");
  const { beamSize, rounds, epochs } = spec.search;
  return [
    `task "${spec.task.name}" (metric ${spec.task.metric.kind})`,
    `${graph.agents.length} agents, ${spec.graph.topology}: ${order}; final ${graph.final}`,
    datasetSummary(spec),
    `models ${models}`,
    `beam ${beamSize}, ${rounds} rounds, ${epochs} epochs, seed ${spec.seed}`,
  ].join("; ");
}

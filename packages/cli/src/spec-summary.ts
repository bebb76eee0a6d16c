/** A one-line account of a valid spec, so `maspo validate` says what it accepted, not just "ok". */
import { type AgentGraph, type RunSpec, agentGraphOf, listModelEndpoints, successorsOf, topologicalOrder } from "@maspo/core";

function datasetSummary(spec: RunSpec): string {
  const s = spec.dataset.source;
  if (s.kind === "inline") return `inline dataset (${s.train.length} train, ${s.heldOut.length} held-out)`;
  if (s.kind === "jsonl" || s.kind === "json" || s.kind === "csv") {
    const format = s.kind.toUpperCase();
    const mapped = s.fields ? ", fields mapped" : "";
    return s.split
      ? `${format} dataset, one file split ${s.split.heldOut} held-out (seed ${s.split.seed})${mapped}`
      : `${format} dataset${mapped}`;
  }
  const sizes = [s.train !== undefined ? `${s.train} train` : "", s.heldOut !== undefined ? `${s.heldOut} held-out` : ""].filter(Boolean);
  return `simlm world "${s.world}"${sizes.length > 0 ? ` (${sizes.join(", ")})` : ""}`;
}

/** A chain as `a → b → c`; any other graph as its edges, so a fan-out never reads as a sequence. */
function graphSummary(graph: AgentGraph): string {
  const order = topologicalOrder(graph);
  const edges = order.flatMap((id) => successorsOf(graph, id).map((next) => `${id} → ${next}`));
  // No agent with two inputs or two outputs, and one edge fewer than agents: a single path.
  const isChain =
    edges.length === graph.agents.length - 1 &&
    graph.agents.every((a) => a.predecessors.length <= 1 && successorsOf(graph, a.id).length <= 1);
  if (isChain) return order.join(" → ");
  return edges.length > 0 ? edges.join(", ") : order.join(", ");
}

export function summarizeSpec(spec: RunSpec): string {
  const graph = agentGraphOf(spec);
  const order = graphSummary(graph);
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

/**
 * A world seen from maspo's side: its agents as the agent graph the executor walks, and its final
 * metric as the `scoreFinal` the executor and evaluator take. Tests and the run both use these, so a
 * world is wired into maspo one way only.
 */
import type { AgentGraph } from "@maspo/core";
import { scoreWorldFinal } from "./dataset.js";
import type { World } from "./world-schema.js";

/** The world's agents as an agent graph, every agent served by `model`. */
export function worldGraph(world: World, model: string): AgentGraph {
  return {
    final: world.final,
    agents: world.agents.map((a) => ({ id: a.id, role: a.role, predecessors: a.predecessors, model })),
  };
}

/** The world's final metric on a final output; undefined for an unlabelled example. */
export function worldScorer(world: World): (finalOutput: string, example: { label?: string | undefined }) => number | undefined {
  return (finalOutput, example) =>
    example.label === undefined ? undefined : scoreWorldFinal(world, { label: example.label }, finalOutput);
}

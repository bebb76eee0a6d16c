/**
 * The spec's agent graph as the engine walks it (core's AgentGraph): each agent with its serving
 * model resolved, so nothing downstream needs to know about serving.default.
 */
import type { AgentGraph } from "../agent-graph.js";
import { servingModelOf } from "./endpoints.js";
import type { RunSpec } from "./schema.js";

export function agentGraphOf(spec: RunSpec): AgentGraph {
  return {
    final: spec.graph.final,
    agents: spec.graph.agents.map((a) => ({
      id: a.id,
      role: a.role,
      predecessors: [...a.predecessors],
      model: servingModelOf(spec, a.id),
    })),
  };
}

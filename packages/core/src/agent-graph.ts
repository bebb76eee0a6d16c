/**
 * The agent graph as the engine walks it: topological order, successors, descendants. The spec
 * validator proves the graph is a DAG before any of these run, so they may assume it.
 */
import { MaspoError } from "./errors.js";

export interface GraphAgent {
  id: string;
  role: string;
  /** Declared predecessors, in the order their outputs are shown to this agent. */
  predecessors: readonly string[];
  /** Serving model endpoint id. */
  model: string;
}

export interface AgentGraph {
  agents: readonly GraphAgent[];
  /** The agent whose output is the system's final answer. */
  final: string;
}

/** Agents in a topological order; ties broken by declaration order so the order is stable. */
export function topologicalOrder(graph: AgentGraph): string[] {
  const indegree = new Map<string, number>();
  for (const a of graph.agents) indegree.set(a.id, a.predecessors.length);
  const order: string[] = [];
  const done = new Set<string>();
  while (order.length < graph.agents.length) {
    const next = graph.agents.find((a) => !done.has(a.id) && a.predecessors.every((p) => done.has(p)));
    if (!next)
      throw new MaspoError(
        "E_GRAPH_CYCLE",
        `agent graph has a cycle among: ${graph.agents
          .filter((a) => !done.has(a.id))
          .map((a) => a.id)
          .join(", ")}`,
      );
    done.add(next.id);
    order.push(next.id);
  }
  return order;
}

/** Immediate (one-hop) successors of an agent, in declaration order. */
export function successorsOf(graph: AgentGraph, agentId: string): string[] {
  return graph.agents.filter((a) => a.predecessors.includes(agentId)).map((a) => a.id);
}

/** Every agent downstream of `agentId` (not itself), in topological order. */
export function descendantsOf(graph: AgentGraph, agentId: string): string[] {
  const reached = new Set<string>();
  const stack = [agentId];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    for (const s of successorsOf(graph, id)) {
      if (!reached.has(s)) {
        reached.add(s);
        stack.push(s);
      }
    }
  }
  return topologicalOrder(graph).filter((id) => reached.has(id));
}

export function agentById(graph: AgentGraph, agentId: string): GraphAgent {
  const agent = graph.agents.find((a) => a.id === agentId);
  if (!agent) throw new MaspoError("E_GRAPH_UNKNOWN_AGENT", `unknown agent "${agentId}"`);
  return agent;
}

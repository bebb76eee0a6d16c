/**
 * Gauss-Seidel order and staleness. Agents are optimized in topological order and a new best is
 * visible to every later agent in the same round. An agent's beam scores were computed in a context
 * — the best prompts of every other agent at that time — and are stale once that context moves:
 * then Beam Refresh must re-score them before they are compared with anything new.
 */
import { createHash } from "node:crypto";
import { type AgentGraph, topologicalOrder } from "@maspo/core";

export function gaussSeidelOrder(graph: AgentGraph): string[] {
  return topologicalOrder(graph);
}

/** The signature of the context an agent is scored in: the current best version of every other agent. */
export function contextSignature(agentId: string, bestVersions: Readonly<Record<string, string>>): string {
  const parts = Object.keys(bestVersions)
    .filter((id) => id !== agentId)
    .sort()
    .map((id) => `${id}=${bestVersions[id]}`);
  return createHash("sha256").update(parts.join(";")).digest("hex").slice(0, 12);
}

/** True when any beam member was scored in a context other than the current one. */
export function isBeamStale(
  members: readonly { scoredIn: string }[],
  agentId: string,
  bestVersions: Readonly<Record<string, string>>,
): boolean {
  const now = contextSignature(agentId, bestVersions);
  return members.some((m) => m.scoredIn !== now);
}

/**
 * What a trace says about one agent: did the run it took part in succeed, and if not, what failed —
 * its own step, a successor's step, or the final answer by the task metric. The optimizer is shown
 * this outcome next to the agent's output, so it can tie a failure to the output that caused it.
 */
import { splitAgentContext } from "@maspo/core";
import type { AgentStep, Trace } from "@maspo/core";

export interface TraceOutcome {
  kind: "success" | "failure" | "unknown";
  /** A short failure description (or what made it a success). */
  description: string;
}

/**
 * The steps that received `agentId`'s output directly (its one-hop successors in this trace), in the
 * trace's step order, which the executor writes topologically.
 */
export function successorStepsOf(trace: Trace, agentId: string): AgentStep[] {
  return Object.values(trace.steps).filter(
    (s) => s.agentId !== agentId && splitAgentContext(s.context).upstream.some((u) => u.agentId === agentId),
  );
}

/** `passScore`: a final score at or above it is a correct final answer (default 1). */
export function traceOutcome(trace: Trace, agentId: string, passScore = 1): TraceOutcome {
  const own = trace.steps[agentId];
  if (own && own.status !== "ok") {
    return { kind: "failure", description: `the agent's own output was ${own.status}${own.error ? ` (${own.error.message})` : ""}` };
  }
  const broken = successorStepsOf(trace, agentId).find((s) => s.status !== "ok");
  if (broken) return { kind: "failure", description: `successor ${broken.agentId} produced ${broken.status} output` };
  if (trace.finalScore === undefined) return { kind: "unknown", description: "unlabelled example, no metric" };
  return trace.finalScore >= passScore
    ? { kind: "success", description: "final answer correct" }
    : { kind: "failure", description: `final answer wrong (score ${trace.finalScore})` };
}

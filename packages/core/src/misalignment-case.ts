/**
 * A misalignment case as it travels between packages: the evaluator finds it, the coordinator keeps
 * the strongest in its buffer (and checkpoints them), the mutator shows them to the optimizer as hard
 * negatives. How cases are found and categorised lives in @maspo/evaluator (misalignment.ts).
 */
import { z } from "zod";

export const MisalignmentCaseSchema = z.object({
  /** Stable id: the same agent, prompt, example and lost lens always give the same id. */
  id: z.string(),
  agentId: z.string(),
  promptVersion: z.string(),
  exampleId: z.string(),
  /** evaluation: a pairwise evaluation showed it; trace: a plain trace whose system outcome failed. */
  source: z.enum(["evaluation", "trace"]),
  lostOn: z.enum(["lookahead", "global"]),
  traceExcerpt: z.object({
    /** The task input. */
    input: z.string(),
    /** The agent's output that looked good locally. */
    output: z.string(),
    /** What it led to: the successor's output or the final answer. */
    downstream: z.string(),
  }),
  failureCaused: z.string(),
  category: z.string(),
  /** How clear the case is, in [0, 1]: the local margin minus the downstream margin. */
  strength: z.number().min(0).max(1),
});
export type MisalignmentCase = z.infer<typeof MisalignmentCaseSchema>;

/**
 * The strongest `n` cases per agent (strength, then id, so the choice is order-independent), after
 * dropping repeats of the same id (the stronger copy wins). Grouped by agent in first-seen order.
 */
export function strongestPerAgent(cases: readonly MisalignmentCase[], n: number): MisalignmentCase[] {
  const byId = new Map<string, MisalignmentCase>();
  for (const c of cases) {
    const seen = byId.get(c.id);
    if (!seen || c.strength > seen.strength) byId.set(c.id, c);
  }
  const byAgent = new Map<string, MisalignmentCase[]>();
  for (const c of byId.values()) byAgent.set(c.agentId, [...(byAgent.get(c.agentId) ?? []), c]);
  return [...byAgent.values()].flatMap((group) =>
    [...group].sort((a, b) => b.strength - a.strength || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, Math.max(0, n)),
  );
}

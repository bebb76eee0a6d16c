/**
 * A trace: what every agent saw and said on one example under one prompt assignment. Traces are
 * plain data — they travel between processes, feed the judge, and become the optimizer's evidence.
 */
import { z } from "zod";

export const ExampleSchema = z.object({
  id: z.string(),
  input: z.string(),
  label: z.string().optional(),
  /**
   * Every other field of the example's record (a dataset's columns beyond id, input and label, e.g.
   * MBPP's `test_list`), handed to the final metric as is; absent when the record has none.
   */
  fields: z.record(z.string(), z.unknown()).optional(),
});
export type Example = z.infer<typeof ExampleSchema>;

export const AgentStepStatus = z.enum(["ok", "empty", "refusal", "error"]);
export type AgentStepStatus = z.infer<typeof AgentStepStatus>;

export const AgentStepSchema = z.object({
  agentId: z.string(),
  /** The prompt text the agent ran under. */
  prompt: z.string(),
  /** The user message the agent saw: task input and its predecessors' outputs. */
  context: z.string(),
  output: z.string(),
  status: AgentStepStatus,
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  usage: z.object({ promptTokens: z.number(), completionTokens: z.number() }),
  cached: z.boolean(),
  latencyMs: z.number(),
});
export type AgentStep = z.infer<typeof AgentStepSchema>;

export const TraceSchema = z.object({
  exampleId: z.string(),
  steps: z.record(z.string(), AgentStepSchema),
  /** Agents actually run for this trace, in order (the others were reused from a base trace). */
  executed: z.array(z.string()),
  finalAgent: z.string(),
  finalOutput: z.string(),
  /** The task metric on the final output, when the example has a label. */
  finalScore: z.number().optional(),
  /** The example's label (its correct answer), when it has one: what the optimizer is shown of a failing trace. */
  label: z.string().optional(),
});
export type Trace = z.infer<typeof TraceSchema>;

/** The mean task metric over the traces that have one (labelled examples), or null when none has. */
export function meanFinalScore(traces: readonly Trace[]): number | null {
  const scores = traces.flatMap((t) => (t.finalScore === undefined ? [] : [t.finalScore]));
  return scores.length === 0 ? null : scores.reduce((a, b) => a + b, 0) / scores.length;
}

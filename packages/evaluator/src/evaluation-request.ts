/**
 * What an evaluation needs, as data: the agent, the two prompts, the current best prompt set, the
 * minibatch, judge endpoints, weights and seed. This is the shape an evaluate task carries between
 * processes; `validateEvaluationRequest` checks it, and its agreement with the agent graph, reporting
 * every problem at once.
 */
import {
  type AgentGraph,
  type Issue,
  ExampleSchema,
  JointWeightsSchema,
  TaskDescriptionSchema,
  TraceSchema,
  ValidationError,
  issuesFromZod,
} from "@maspo/core";
import { z } from "zod";
import { LensAblationsSchema } from "./joint-reward.js";

export const JudgeModelsSchema = z.object({
  local: z.string().min(1),
  lookahead: z.string().min(1),
  global: z.string().min(1),
});
export type JudgeModels = z.infer<typeof JudgeModelsSchema>;

export const EvaluationRequestSchema = z.object({
  agentId: z.string().min(1),
  /** The candidate prompt text p′. */
  candidate: z.string().min(1),
  /** The reference prompt text p: the candidate's beam parent, or the current global best at Beam Refresh. */
  reference: z.string().min(1),
  /** The current best prompt of every agent (the reference graph the candidate is slotted into). */
  prompts: z.record(z.string(), z.string().min(1)),
  minibatch: z.array(ExampleSchema).min(1),
  /** The minibatch run under `prompts`, one trace per example in minibatch order; computed when absent. */
  baseTraces: z.array(TraceSchema).optional(),
  judgeModels: JudgeModelsSchema,
  weights: JointWeightsSchema,
  seed: z.number().int(),
  ablations: LensAblationsSchema.optional(),
  /** Total judge attempts per question when the verdict is malformed (first ask included). */
  judgeMaxAttempts: z.number().int().min(1).optional(),
  /** The run's task description, shown to every judge question; omitted when unknown. */
  taskDescription: TaskDescriptionSchema.optional(),
});
export type EvaluationRequest = z.infer<typeof EvaluationRequestSchema>;

/** Parses and cross-checks a request against the graph; throws one ValidationError listing every problem. */
export function validateEvaluationRequest(graph: AgentGraph, input: unknown): EvaluationRequest {
  const parsed = EvaluationRequestSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError("evaluation request", issuesFromZod(parsed.error, input));
  const req = parsed.data;
  const issues: Issue[] = [];
  const agentIds = graph.agents.map((a) => a.id);
  if (!agentIds.includes(req.agentId)) {
    issues.push({ path: "agentId", expected: `an agent of the graph (${agentIds.join(", ")})`, found: JSON.stringify(req.agentId) });
  }
  for (const id of agentIds) {
    if (req.prompts[id] === undefined)
      issues.push({ path: `prompts.${id}`, expected: "the agent's current best prompt", found: "nothing" });
  }
  const seen = new Set<string>();
  req.minibatch.forEach((ex, i) => {
    if (seen.has(ex.id))
      issues.push({ path: `minibatch[${i}].id`, expected: "an example id unique in the minibatch", found: JSON.stringify(ex.id) });
    seen.add(ex.id);
  });
  if (req.baseTraces) {
    if (req.baseTraces.length !== req.minibatch.length) {
      issues.push({
        path: "baseTraces",
        expected: `one trace per minibatch example (${req.minibatch.length})`,
        found: `${req.baseTraces.length}`,
      });
    }
    req.baseTraces.forEach((t, i) => {
      const ex = req.minibatch[i];
      if (ex && t.exampleId !== ex.id) {
        issues.push({ path: `baseTraces[${i}].exampleId`, expected: JSON.stringify(ex.id), found: JSON.stringify(t.exampleId) });
      }
      for (const id of agentIds) {
        if (!t.steps[id]) issues.push({ path: `baseTraces[${i}].steps.${id}`, expected: "a step for every agent", found: "nothing" });
      }
    });
  }
  if (!(req.weights.local + req.weights.lookahead + req.weights.global > 0)) {
    issues.push({ path: "weights", expected: "at least one positive lens weight", found: "all zero" });
  }
  if (issues.length > 0) throw new ValidationError("evaluation request", issues);
  return req;
}

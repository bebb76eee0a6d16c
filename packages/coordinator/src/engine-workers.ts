/**
 * What the coordinator asks of its workers. The loop only ever calls these three functions with
 * plain data, so the embedded mode (direct calls into the executor, evaluator and mutator packages)
 * and the cluster mode (the same calls as JetStream tasks, validated with these schemas on both sides
 * of the bus) run the very same optimization.
 */
import { type MisalignmentCase, MisalignmentCaseSchema } from "@maspo/core";
import { ExampleSchema, type Trace, TraceSchema } from "@maspo/executor";
import { z } from "zod";
import { LensScoresSchema } from "./beam.js";

export const JointWeightsSchema = z.object({ local: z.number(), lookahead: z.number(), global: z.number() });
export type JointWeights = z.infer<typeof JointWeightsSchema>;

export const RunGraphRequestSchema = z.object({
  prompts: z.record(z.string(), z.string()),
  example: ExampleSchema,
  base: TraceSchema.optional(),
  rerunFrom: z.string().optional(),
});
export type RunGraphRequest = z.infer<typeof RunGraphRequestSchema>;

export const EvaluateRequestSchema = z.object({
  agentId: z.string(),
  candidate: z.string(),
  reference: z.string(),
  /** The current prompt assignment for every agent (the candidate's agent included: the reference). */
  prompts: z.record(z.string(), z.string()),
  minibatch: z.array(ExampleSchema),
  /** The minibatch run under `prompts`: the shared upstream part is taken from here. */
  baseTraces: z.array(TraceSchema),
  weights: JointWeightsSchema,
  /** Compare lookahead at all (off in the no-lookahead and global-only ablations). */
  lookahead: z.boolean(),
});
export type EvaluateRequest = z.infer<typeof EvaluateRequestSchema>;

/** A hard negative: a misalignment case as the evaluator found it and the mutator shows it. */
export type HardNegative = MisalignmentCase;

export const EvaluationSchema = z.object({
  /** Joint reward R(candidate, reference) in [0, 1]. */
  R: z.number(),
  lenses: LensScoresSchema,
  /** Mean task metric of the candidate's final outputs on the labelled minibatch examples, or null. */
  finalMetric: z.number().nullable(),
  /** Misalignment cases the candidate produced (won locally, lost downstream). */
  cases: z.array(MisalignmentCaseSchema),
  malformedVerdicts: z.int().min(0),
});
export type Evaluation = z.infer<typeof EvaluationSchema>;

export const MutateRequestSchema = z.object({
  agentId: z.string(),
  parent: z.string(),
  operator: z.string(),
  traces: z.array(TraceSchema),
  hardNegatives: z.array(MisalignmentCaseSchema),
  children: z.int().min(0),
  existingPrompts: z.array(z.string()),
  seed: z.number(),
  noTraces: z.boolean(),
});
export type MutateRequest = z.infer<typeof MutateRequestSchema>;

export const ProposalSchema = z.object({
  prompt: z.string(),
  operator: z.string(),
  traceIds: z.array(z.string()),
  hardNegativeIds: z.array(z.string()),
});
export type Proposal = z.infer<typeof ProposalSchema>;
export const ProposalsSchema = z.array(ProposalSchema);

export interface UsageTotals {
  calls: number;
  tokens: number;
  usd: number;
  cacheHits: number;
}

export interface EngineWorkers {
  runGraph(request: RunGraphRequest): Promise<Trace>;
  evaluate(request: EvaluateRequest): Promise<Evaluation>;
  mutate(request: MutateRequest): Promise<Proposal[]>;
  /** Spend so far (for token guards and the budget stop). */
  usage(): UsageTotals;
}

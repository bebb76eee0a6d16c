/**
 * The worker protocol: what the coordinator asks of executors, evaluators and mutators, and what
 * they answer. The loop only ever sends these requests, as plain data; the embedded mode and the
 * cluster run them through the same task handler (over an in-process queue or JetStream), and both
 * sides validate with these schemas, so a value cannot change shape between processes.
 */
import { z } from "zod";
import { MisalignmentCaseSchema, type MisalignmentCase } from "../misalignment-case.js";
import { JointWeightsSchema, LensScoresSchema } from "./lenses.js";
import type { RoundTokenCap, UsageTotals } from "./llm-usage.js";
import { AgentStepStatus, ExampleSchema, TraceSchema, type Trace } from "./trace.js";

/** Run the graph on one example (from `rerunFrom` downward when a base trace is given: lookahead). */
export const RunGraphRequestSchema = z.object({
  prompts: z.record(z.string(), z.string()),
  example: ExampleSchema,
  base: TraceSchema.optional(),
  rerunFrom: z.string().optional(),
});
export type RunGraphRequest = z.infer<typeof RunGraphRequestSchema>;

/** Score `candidate` against `reference` for one agent through the three lenses, on one minibatch. */
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
  /**
   * Did the global lens compare any two different final answers on the minibatch (judge asked, or
   * decided by the metric or the answer contract)? False when every example's final outputs were the
   * same text, or tied as two failures or two non-answers: a global tie that says nothing.
   */
  finalsCompared: z.boolean().optional(),
  /** Misalignment cases the candidate produced (won locally, lost downstream). */
  cases: z.array(MisalignmentCaseSchema),
  malformedVerdicts: z.int().min(0),
});
export type Evaluation = z.infer<typeof EvaluationSchema>;

/** Propose `children` new prompts for one agent from `parent`, by one operator, from real traces. */
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

/** A final answer of the system on one example, as a judge compares it: the final step's output and status. */
export const FinalAnswerSchema = z.object({
  output: z.string(),
  status: AgentStepStatus,
});
export type FinalAnswer = z.infer<typeof FinalAnswerSchema>;

/**
 * Judge two final answers of the whole system to one example against each other (the global lens's
 * question, asked in both orders), without a label: how a label-free run measures a prompt set
 * against the baseline's final answers.
 */
export const CompareFinalsRequestSchema = z.object({
  example: ExampleSchema,
  candidate: FinalAnswerSchema,
  reference: FinalAnswerSchema,
});
export type CompareFinalsRequest = z.infer<typeof CompareFinalsRequestSchema>;

export const FinalComparisonSchema = z.object({
  /** The candidate's win rate in [0, 1] over both orders: 1 win, ½ tie, 0 loss; ½ = as good as the reference. */
  score: z.number().min(0).max(1),
  /**
   * judge: asked in both orders; identical: the same text, a tie without a call; failure: a side's
   * final step failed; no-answer: a side states no answer in the task's required form (its answer contract).
   */
  method: z.enum(["judge", "identical", "failure", "no-answer"]),
  malformedVerdicts: z.int().min(0),
});
export type FinalComparison = z.infer<typeof FinalComparisonSchema>;

/** The requests as the loop makes them: one seam, however the work is done. */
export interface EngineWorkers {
  runGraph(request: RunGraphRequest): Promise<Trace>;
  evaluate(request: EvaluateRequest): Promise<Evaluation>;
  mutate(request: MutateRequest): Promise<Proposal[]>;
  /** Label-free measurement: two final answers to one example, judged in both orders. */
  compareFinals(request: CompareFinalsRequest): Promise<FinalComparison>;
  /** Spend so far (for token guards and the budget stop). */
  usage(): UsageTotals;
  /**
   * Reads the spend again where it is kept outside this process (the cluster's ledger in KV), so that
   * `usage()` then counts every call served so far. Called before each step's stop check.
   */
  refreshUsage?(): Promise<void>;
  /**
   * Holds every LLM attempt of the run to a round's token cap (see RoundTokenCap), or lifts it (null),
   * in the spend ledger every process reserves against. Absent: the workers cannot enforce one, and
   * the loop's own check after each step is all there is.
   */
  capRoundTokens?(cap: RoundTokenCap | null): Promise<void>;
  /** Resolves once no task is awaited any more (a failed step's sibling tasks have ended too). */
  idle?(): Promise<void>;
}

/**
 * The coordinator's whole state between steps: plain data, validated on load, written after every
 * step. A run resumed from it continues with the next step and — with the response cache — pays
 * for no call twice.
 */
import { MisalignmentCaseSchema, RunSpendSchema } from "@maspo/core";
import { z } from "zod";
import { BeamMemberSchema } from "./beam.js";
import { AnchorSchema, CandidateRecordSchema, PromotionSchema } from "./candidate-log.js";

/** A buffered misalignment case: the evaluator's case plus the round it was mined in. */
export const BufferedCaseSchema = MisalignmentCaseSchema.extend({ round: z.number() });

export const TrajectoryRowSchema = z.object({
  epoch: z.number(),
  round: z.number(),
  agent: z.string(),
  best_local: z.number(),
  best_lookahead: z.number().nullable(),
  best_global: z.number(),
  composite: z.number(),
  beam_refresh_triggered: z.boolean(),
  best_changed: z.boolean(),
  /**
   * Recorded since the report became honest (absent in older checkpoints): the best's version, what
   * best_* and composite were measured against (its parent, or the agent's best at Beam Refresh, or
   * itself), the same lenses and composite chained back to the initial prompt (candidate-log.ts), and
   * the best's task metric on the step's minibatch (absolute; null without labels).
   */
  best_version: z.string().optional(),
  best_reference: z.object({ version: z.string(), via: AnchorSchema.shape.via }).optional(),
  best_vs_initial: AnchorSchema.nullable().optional(),
  best_minibatch_metric: z.number().nullable().optional(),
});
export type TrajectoryRow = z.infer<typeof TrajectoryRowSchema>;

export const RoundSummarySchema = z.object({
  epoch: z.number(),
  round: z.number(),
  trainMetric: z.number(),
  bufferSize: z.number(),
  categories: z.record(z.string(), z.number()),
  tokens: z.number(),
  usd: z.number(),
  calls: z.number(),
  /**
   * Recorded since the report became honest (absent in older checkpoints): the current graph (each
   * agent's best prompt version), the best train metric so far and its round, each agent's best's
   * composite chained back to its initial prompt, and |ℬ_mis| per agent.
   */
  versions: z.record(z.string(), z.string()).optional(),
  bestTrainMetric: z.number().optional(),
  bestRound: z.number().optional(),
  composite: z.record(z.string(), z.number().nullable()).optional(),
  bufferByAgent: z.record(z.string(), z.number()).optional(),
  /**
   * With guards.tokensPerRoundMax (round-token-cap.ts): the cap, the tokens reserved for the round
   * end's train-pool measure, the tokens the round was served (its round end's included) and what
   * the measure took of them.
   */
  tokenCap: z.object({ cap: z.number(), reserved: z.number(), spent: z.number(), measure: z.number() }).optional(),
});
export type RoundSummary = z.infer<typeof RoundSummarySchema>;

export const GuardEventSchema = z.object({
  round: z.number(),
  /** The agent whose promotion or step it stopped ("round end" for a round that ended above its token cap). */
  agent: z.string(),
  guard: z.enum(["finalMetricFloor", "localValidityFloor", "tokensPerRoundMax"]),
  detail: z.string(),
});
export type GuardEvent = z.infer<typeof GuardEventSchema>;

/** The first mutations' best score on each lens against the agent's initial prompt, minus ½ (the tie). */
export const LensHeadroomSchema = z.object({ local: z.number(), lookahead: z.number().nullable(), global: z.number() });

/**
 * Orientation (workflow step 1; orientation.ts): the baseline measured, the weakest lens and the
 * constraining agent named, and what that changed in the run (`frontier`).
 */
export const OrientationSchema = z.object({
  /** The baseline graph's train metric on the whole train pool (absolute). */
  trainMetric: z.number(),
  /** Per agent, train examples on which the baseline agent produced no usable output. */
  failingAgents: z.record(z.string(), z.number()),
  weakestLens: z.string().nullable(),
  constrainingAgent: z.string().nullable(),
  /**
   * Per agent, absolute rates of the baseline graph on the train pool: the share of examples its output
   * was usable, and of those the share on which every one-hop successor's was (null: no successor).
   */
  baseline: z.record(z.string(), z.object({ usableOutput: z.number(), successorsUsable: z.number().nullable() })).optional(),
  /** Per agent, how far its first mutations got past the baseline prompt on each lens (absent in older checkpoints). */
  headroom: z.record(z.string(), LensHeadroomSchema).optional(),
  /** The noise margin a constraining agent had to clear to change the order: one standard error of a minibatch win rate. */
  margin: z.number().optional(),
  /** The agent the first round starts with because it constrains the system (null: topological order kept). */
  frontier: z.string().nullable().optional(),
});
export type Orientation = z.infer<typeof OrientationSchema>;

export const RunStateSchema = z.object({
  v: z.literal(1),
  /** Index of the next step to run in the step plan. */
  nextStep: z.number(),
  beams: z.record(z.string(), z.array(BeamMemberSchema)),
  best: z.record(z.string(), z.string()),
  prompts: z.record(z.string(), z.string()),
  buffer: z.array(BufferedCaseSchema),
  trajectory: z.array(TrajectoryRowSchema),
  rounds: z.array(RoundSummarySchema),
  guardEvents: z.array(GuardEventSchema),
  orientation: OrientationSchema.nullable(),
  bestTrainMetric: z.number(),
  /** The prompt set that scored bestTrainMetric on the train pool: what the run returns as final. */
  bestPrompts: z.record(z.string(), z.string()),
  /** The round bestPrompts was measured at (0: the initial set). */
  bestRound: z.number(),
  roundsWithoutImprovement: z.number(),
  /** Set once the run must end; the remaining steps are skipped. */
  stopReason: z.string().nullable(),
  /** Tokens counter value at the start of the current round, for the tokens-per-round guard. */
  roundStartTokens: z.number(),
  /** With guards.tokensPerRoundMax: the served-token count when the last finished step ended (absent: no cap). */
  tokensAtStepEnd: z.number().optional(),
  /** The round's token ceiling was reached: its remaining agent steps are skipped. */
  skipRoundAfterGuard: z.boolean(),
  /**
   * With guards.tokensPerRoundMax (round-token-cap.ts): the round whose token window is open (from
   * its first step; `roundStartTokens` is its start) and the tokens held back in it for its round
   * end's measure; and the reserve the next round will hold back (the last measure's cost).
   */
  roundWindow: z.object({ round: z.number(), reserved: z.number() }).optional(),
  roundEndReserve: z.number().optional(),
  malformedVerdicts: z.number(),
  /**
   * The run's absolute end (epoch ms; null: none), fixed when the run first started: a resumed run
   * keeps it, so a deadline is never restarted. Absent in checkpoints written before it was kept.
   */
  deadlineAt: z.number().nullable().optional(),
  /**
   * The run's LLM spend when this state was saved. The loop reads spend from its workers; the runner
   * writes it here at each checkpoint and hands it to the resumed run's workers, so the budget stop,
   * the token guard and the report's cost go on from it instead of from zero.
   */
  spend: RunSpendSchema.optional(),
  /** The report's record of the search (candidate-log.ts); never read by the search. Absent in older checkpoints. */
  candidates: z.array(CandidateRecordSchema).optional(),
  promotions: z.array(PromotionSchema).optional(),
  /** Per agent and prompt version: its lenses and composite chained back to the initial prompt. */
  anchors: z.record(z.string(), z.record(z.string(), AnchorSchema)).optional(),
});
export type RunState = z.infer<typeof RunStateSchema>;
export type StoredCase = z.infer<typeof BufferedCaseSchema>;

/**
 * The coordinator's whole state between steps: plain data, validated on load, written after every
 * step. A run resumed from it continues with the next step and — with the response cache — pays
 * for no call twice.
 */
import { MisalignmentCaseSchema, RunSpendSchema } from "@maspo/core";
import { z } from "zod";
import { BeamMemberSchema } from "./beam.js";

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
});
export type RoundSummary = z.infer<typeof RoundSummarySchema>;

export const GuardEventSchema = z.object({
  round: z.number(),
  agent: z.string(),
  guard: z.enum(["finalMetricFloor", "localValidityFloor", "tokensPerRoundMax"]),
  detail: z.string(),
});
export type GuardEvent = z.infer<typeof GuardEventSchema>;

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
  orientation: z
    .object({
      trainMetric: z.number(),
      failingAgents: z.record(z.string(), z.number()),
      weakestLens: z.string().nullable(),
      constrainingAgent: z.string().nullable(),
    })
    .nullable(),
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
  skipRoundAfterGuard: z.boolean(),
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
});
export type RunState = z.infer<typeof RunStateSchema>;
export type StoredCase = z.infer<typeof BufferedCaseSchema>;

/**
 * The report a user reads, as data: exactly the method's six sections plus the run's provenance
 * (models, seed, spec hash, cost, ablations). report.json is this object; report.md and
 * report.html are renderings of it.
 */
import { z } from "zod";
import { TrajectoryRowSchema } from "../run-state.js";

export const LensDeltaSchema = z.object({
  local: z.number(),
  lookahead: z.number().nullable(),
  global: z.number(),
});

/**
 * What the held-out and round numbers measure (final-measure.ts): the task metric, or — for a run
 * without labels — the final set's judged win rate against the baseline set (½ = as good as it).
 * Reports written before label-free runs existed carry no field and measured the task metric.
 */
export const FinalMeasureSchema = z.enum(["task-metric", "judge-vs-baseline"]).default("task-metric");

export const ReportSchema = z.object({
  title: z.string(),
  finalPrompts: z.record(z.string(), z.string()),
  /** The round whose prompt set scored best on the train pool and is returned as final (0: the initial set). */
  finalRound: z.number(),
  initialPrompts: z.record(z.string(), z.string()),
  trajectory: z.array(TrajectoryRowSchema),
  rounds: z.array(z.object({ round: z.number(), trainMetric: z.number(), bufferSize: z.number(), calls: z.number(), tokens: z.number() })),
  /** What `rounds[].trainMetric` and `orientation.trainMetric` measure on the train pool. */
  trainMeasure: FinalMeasureSchema,
  misalignment: z.object({
    count: z.number(),
    topCategories: z.array(z.object({ category: z.string(), count: z.number(), trend: z.enum(["shrank", "grew", "unchanged", "new"]) })),
  }),
  delta: z.object({
    heldOut: z.object({
      /** What baseline and final measure: the task metric, or a judged win rate vs the baseline (not an accuracy). */
      measure: FinalMeasureSchema,
      baseline: z.number(),
      final: z.number(),
      absolute: z.number(),
      relative: z.number().nullable(),
      examples: z.number(),
      hash: z.string(),
    }),
    /** Per agent: final prompt vs initial prompt, lens win rate − 0.5 (0 = no change), on a train minibatch. */
    perAgent: z.record(z.string(), LensDeltaSchema),
  }),
  remainingFailures: z.array(
    z.object({
      agentId: z.string(),
      exampleId: z.string(),
      category: z.string(),
      why: z.enum(["budget", "ambiguity", "missing context"]),
      detail: z.string(),
    }),
  ),
  recommendations: z.array(z.string()),
  orientation: z
    .object({
      trainMetric: z.number(),
      weakestLens: z.string().nullable(),
      constrainingAgent: z.string().nullable(),
    })
    .nullable(),
  guards: z.array(z.object({ round: z.number(), agent: z.string(), guard: z.string(), detail: z.string() })),
  stopReason: z.string(),
  models: z.object({
    optimizer: z.string(),
    evaluator: z.object({ local: z.string(), lookahead: z.string(), global: z.string() }),
    serving: z.record(z.string(), z.string()),
  }),
  ablations: z.array(z.string()),
  cost: z.object({
    calls: z.number(),
    tokens: z.number(),
    usd: z.number(),
    cacheHits: z.number(),
    /** Waits before another attempt, and failed HTTP attempts: how rough the endpoints were. */
    retries: z.number(),
    failedAttempts: z.number(),
  }),
  seed: z.number(),
  specHash: z.string(),
  world: z.string().optional(),
  /** Present when the dataset was one file split by a seeded draw: the file, ratio, seed, sizes and the split's hash. */
  split: z
    .object({ file: z.string(), heldOutRatio: z.number(), seed: z.number(), train: z.number(), heldOut: z.number(), hash: z.string() })
    .optional(),
  malformedVerdicts: z.number(),
  /**
   * Present when the run was replayed from a recording (`maspo run --replay`): no LLM call was made
   * (`newCalls` is 0); `cost` is the recorded run's, counted again from the recorded exchanges.
   */
  replay: z
    .object({
      recording: z.string(),
      recordedAt: z.string(),
      maspoVersion: z.string(),
      exchangesServed: z.number(),
      newCalls: z.literal(0),
    })
    .optional(),
});
export type Report = z.infer<typeof ReportSchema>;

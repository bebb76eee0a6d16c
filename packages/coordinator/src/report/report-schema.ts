/**
 * The report a user reads, as data: exactly the method's six sections plus the run's provenance
 * (models, seed, spec hash, cost, ablations). report.json is this object; report.md and
 * report.html are renderings of it.
 */
import { z } from "zod";
import { CandidateRecordSchema, PromotionSchema } from "../candidate-log.js";
import { OrientationSchema, RoundSummarySchema, TrajectoryRowSchema } from "../run-state.js";
import { STOP_KINDS } from "../stop-kind.js";
import { HeldOutFailuresSchema } from "./held-out-failures.js";

/**
 * One unit style for report.json, report.md and report.html: in the JSON every rate (accuracy, win
 * rate, lens score) is a fraction in [0, 1] and every delta a difference of fractions; the Markdown
 * and HTML render rates as percentages with one decimal ("82.5%") and deltas in points with one
 * decimal ("+49.0 pts"). The report carries this statement, so a reader of the JSON need not guess.
 */
export const REPORT_UNITS = {
  rates: "fraction in [0, 1] (0.825 = 82.5%); rendered as a percentage with one decimal",
  deltas: "difference of fractions (0.49 = +49.0 points); rendered in points with one decimal",
  costs: "USD; tokens and calls as counts",
} as const;

/** LLM use of one role or model: calls, failures, retries, tokens, dollars, cache hits. */
export const UsageSplitSchema = z.object({
  calls: z.number(),
  failedAttempts: z.number(),
  retries: z.number(),
  tokens: z.number(),
  usd: z.number(),
  cacheHits: z.number(),
});
export type UsageSplit = z.infer<typeof UsageSplitSchema>;

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
  /** What every number is in, here and in the renderings (REPORT_UNITS). */
  units: z.object({ rates: z.string(), deltas: z.string(), costs: z.string() }),
  /**
   * One row per agent step. best_local/best_lookahead/best_global are the best's lens win rates and
   * composite its J, all against `best_reference` (its parent, or its agent's best at Beam Refresh,
   * or itself — then ½ and 0); `best_vs_initial` chains the same margins back to the initial prompt
   * (an estimate without calls), and `best_minibatch_metric` is the best's task metric on the step's
   * minibatch: the two columns that compare across rows.
   */
  trajectory: z.array(TrajectoryRowSchema),
  /**
   * Per round end: the current graph's task metric on the whole train pool (absolute), the best so far
   * and its round (never decreasing), the current graph (each agent's best prompt version), each
   * agent's best's composite chained back to its initial prompt, |ℬ_mis| in all and per agent, and the
   * run's cumulative calls, tokens and cost; under guards.tokensPerRoundMax, the round's own tokens
   * against its cap (`tokenCap`: cap, reserved for its round end's measure, spent, the measure's part).
   */
  rounds: z.array(
    RoundSummarySchema.pick({
      round: true,
      trainMetric: true,
      bufferSize: true,
      calls: true,
      tokens: true,
      usd: true,
      tokenCap: true,
    }).extend({
      bestTrainMetric: z.number(),
      bestRound: z.number(),
      versions: z.record(z.string(), z.string()),
      composite: z.record(z.string(), z.number().nullable()),
      bufferByAgent: z.record(z.string(), z.number()),
    }),
  ),
  /** Every evaluated candidate: lineage, lenses against its parent, chained lenses against the initial prompt, verdict and why. */
  candidates: z.array(CandidateRecordSchema.extend({ final: z.boolean() })),
  /** Every change of an agent's best: how the current graph moved. */
  promotions: z.array(PromotionSchema),
  /** What `rounds[].trainMetric` and `orientation.trainMetric` measure on the train pool. */
  trainMeasure: FinalMeasureSchema,
  misalignment: z.object({
    /** Cases in ℬ_mis at the end (its budget bounds it per agent; a case is never dropped for being repaired). */
    count: z.number(),
    /**
     * The top 3 categories, re-tested under the final prompts (the finish's runs of their examples):
     * `open` cases still fail, `repaired` ones are now right. trend compares `open` with the count
     * the category had when it first entered ℬ_mis: repaired (none open), shrank, grew or unchanged.
     */
    topCategories: z.array(
      z.object({
        category: z.string(),
        count: z.number(),
        firstSeen: z.object({ round: z.number(), count: z.number() }),
        repaired: z.number(),
        open: z.number(),
        trend: z.enum(["repaired", "shrank", "grew", "unchanged"]),
      }),
    ),
    /** Every buffered case and whether the final prompts now get its example right (null: not measurable). */
    cases: z.array(
      z.object({
        id: z.string(),
        agent: z.string(),
        exampleId: z.string(),
        category: z.string(),
        round: z.number(),
        repaired: z.boolean().nullable(),
      }),
    ),
    /** |ℬ_mis| at each round end, and the longest run of consecutive rounds in which it grew. */
    growth: z.object({ sizes: z.array(z.object({ round: z.number(), size: z.number() })), longestGrowthRounds: z.number() }),
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
  remainingFailures: z.object({
    /** The held-out examples the final prompts fail, each in one failure mode naming the agent and lens its trace points at. */
    heldOut: HeldOutFailuresSchema,
    /** High local, low downstream cases of ℬ_mis the final prompts still fail (train pool), and why. */
    unrepairedCases: z.array(
      z.object({
        agentId: z.string(),
        exampleId: z.string(),
        category: z.string(),
        why: z.enum(["budget", "ambiguity", "missing context"]),
        detail: z.string(),
      }),
    ),
  }),
  recommendations: z.array(z.string()),
  /** Orientation (the run state's record) and, in words, what it changed in the run. */
  orientation: OrientationSchema.extend({ changed: z.string() }).nullable(),
  guards: z.array(z.object({ round: z.number(), agent: z.string(), guard: z.string(), detail: z.string() })),
  /**
   * Guard floors the RETURNED prompt set breaks (empty: none): the final metric on held-out below
   * finalMetricFloor, or an agent's final prompt below localValidityFloor in local win rate against
   * its initial prompt. A run that returns such a set exits with status 4 (done, floor breached).
   */
  floorBreaches: z
    .array(
      z.object({
        guard: z.enum(["finalMetricFloor", "localValidityFloor"]),
        /** "held-out", or the agent whose final prompt breaks the local floor. */
        where: z.string(),
        measured: z.number(),
        floor: z.number(),
      }),
    )
    .default([]),
  stopReason: z.string(),
  /** The stop reason's kind: what the recommendations are consistent with. */
  stopKind: z.enum(STOP_KINDS),
  models: z.object({
    optimizer: z.string(),
    evaluator: z.object({ local: z.string(), lookahead: z.string(), global: z.string() }),
    serving: z.record(z.string(), z.string()),
  }),
  ablations: z.array(z.string()),
  /** The spec's departures from the method's default starting config (K, T, E, operators, buffer budget, patience), each with the reason it gives. */
  overrides: z.array(z.object({ setting: z.string(), name: z.string(), value: z.unknown(), default: z.unknown(), reason: z.string() })),
  cost: z.object({
    calls: z.number(),
    tokens: z.number(),
    usd: z.number(),
    cacheHits: z.number(),
    /** Waits before another attempt, and failed HTTP attempts: how rough the endpoints were. */
    retries: z.number(),
    failedAttempts: z.number(),
    /** The same split by LLM role (serving, evaluator, optimizer) and by model (endpoint id / model name); empty when not known. */
    byRole: z.record(z.string(), UsageSplitSchema),
    byModel: z.array(UsageSplitSchema.extend({ endpointId: z.string(), model: z.string(), role: z.string() })),
  }),
  /** What went wrong on the way: failed HTTP attempts and retries, unreadable judge verdicts, agents without output on held-out. */
  errors: z.object({
    failedAttempts: z.number(),
    retries: z.number(),
    malformedVerdicts: z.number(),
    heldOutStepFailures: z.record(z.string(), z.number()),
  }),
  /**
   * simlm runs: the world's oracle on this held-out split (no calls: computed from the world) — the
   * initial prompts' expected score (floor), the best reachable (ceiling), the final prompts' expected
   * score — and the share of the gap (ceiling − floor) the run closed, measured and expected.
   */
  oracle: z
    .object({
      floor: z.number(),
      ceiling: z.number(),
      expectedFinal: z.number().nullable(),
      /** null for a judged held-out (a win rate against the baseline, not a score on the oracle's scale). */
      gapClosed: z.number().nullable(),
      expectedGapClosed: z.number().nullable(),
    })
    .optional(),
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

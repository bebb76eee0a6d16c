/**
 * The vocabulary of MASPO's scoring (shared/maspo.md "Scoring"), declared once for every package:
 * a candidate's three lens scores, the joint reward's weights, a beam member's lineage, and the
 * labelled ablations a benchmark may switch on.
 */
import { z } from "zod";

/** Lens win rates in [0, 1] against a reference prompt; lookahead is null for an agent without successors. */
export const LensScoresSchema = z.object({
  local: z.number(),
  lookahead: z.number().nullable(),
  global: z.number(),
});
export type LensScores = z.infer<typeof LensScoresSchema>;

/** "As good as the reference" on every lens: the score of the reference itself. */
export const NEUTRAL_LENSES: LensScores = { local: 0.5, lookahead: 0.5, global: 0.5 };

/** w_local, w_lookahead, w_global of the joint reward R; non-negative, summing to 1 once applied. */
export const JointWeightsSchema = z.object({
  local: z.number().min(0).finite(),
  lookahead: z.number().min(0).finite(),
  global: z.number().min(0).finite(),
});
export type JointWeights = z.infer<typeof JointWeightsSchema>;

/** Where a beam member came from: its parent's version, the operator, and the evidence the optimizer saw. */
export const LineageSchema = z.object({
  parent: z.string().nullable(),
  operator: z.string().nullable(),
  /** Example ids of the traces the optimizer was shown. */
  traceIds: z.array(z.string()),
  /** Misalignment case ids the optimizer was shown. */
  hardNegativeIds: z.array(z.string()),
});
export type Lineage = z.infer<typeof LineageSchema>;

/** The benchmark-only ablations; each removes a mechanism the method depends on (shared/maspo.md "What it refuses"). */
export const AblationsSchema = z.object({
  noLookahead: z.boolean(),
  noMisalignment: z.boolean(),
  noRefresh: z.boolean(),
  globalOnly: z.boolean(),
  independent: z.boolean(),
  noTraces: z.boolean(),
});
export type Ablations = z.infer<typeof AblationsSchema>;

export const NO_ABLATIONS: Ablations = {
  noLookahead: false,
  noMisalignment: false,
  noRefresh: false,
  globalOnly: false,
  independent: false,
  noTraces: false,
};

/** The command-line flag of each ablation, which also labels an ablated run in checkpoints and reports. */
export const ABLATION_FLAGS: Record<keyof Ablations, string> = {
  noLookahead: "--no-lookahead",
  noMisalignment: "--no-misalignment",
  noRefresh: "--no-refresh",
  globalOnly: "--global-only",
  independent: "--independent",
  noTraces: "--no-traces",
};

/**
 * What each ablation takes away, in the method's words (shared/maspo.md "What it refuses"): printed
 * when a run starts with it, so nobody mistakes an ablation for MASPO.
 */
export const ABLATION_WARNINGS: Record<keyof Ablations, string> = {
  noLookahead: "drops Lookahead Potential: a candidate that starves its successors can win (the method refuses this outside benchmarks)",
  noMisalignment: "drops the misalignment buffer: the optimizer sees no hard negatives and successors never train on what misled them",
  noRefresh: "skips Beam Refresh: beam scores go stale when upstream agents change",
  globalOnly: 'scores by the final outcome alone: no Local Validity, no Lookahead ("without joint evaluation")',
  independent:
    "optimizes each agent alone without re-evaluating downstream agents: local optimization in a graph causes silent global regressions",
  noTraces: "mutates without execution traces: proposals are abstract rewrites, not trace-guided",
};

/** The flags of the ablations switched on, in a fixed order. */
export function ablationNames(a: Ablations): string[] {
  return (Object.keys(ABLATION_FLAGS) as (keyof Ablations)[]).filter((k) => a[k]).map((k) => ABLATION_FLAGS[k]);
}

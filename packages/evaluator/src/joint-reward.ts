/**
 * The composite joint reward R(p′, p) = w_local·local + w_lookahead·lookahead + w_global·global over
 * the three lens win rates, and the weights it uses. Weights are normalised to sum to 1 so R stays a
 * win rate in [0, 1] and J = R − 0.5 stays centred whatever scale the user wrote them in.
 */
import { AblationsSchema, type JointWeights } from "@maspo/core";
import type { z } from "zod";

/**
 * The ablations the evaluator itself enacts (benchmarking only): noLookahead drops the lookahead
 * lens (its weight moves to global); globalOnly scores by the global lens alone ("without joint evaluation").
 */
export const LensAblationsSchema = AblationsSchema.pick({ noLookahead: true, globalOnly: true }).partial();
export type LensAblations = z.infer<typeof LensAblationsSchema>;

/**
 * The weights actually applied: an agent with no successors (or the noLookahead ablation) has no
 * lookahead term and its weight moves to global; globalOnly puts all weight on global. Normalised.
 * Returns undefined when nothing is left to weigh (all applicable weights are zero).
 */
export function effectiveWeights(
  weights: JointWeights,
  opts: { hasSuccessors: boolean; ablations?: LensAblations },
): JointWeights | undefined {
  let w: JointWeights;
  if (opts.ablations?.globalOnly) w = { local: 0, lookahead: 0, global: 1 };
  else if (!opts.hasSuccessors || opts.ablations?.noLookahead)
    w = { local: weights.local, lookahead: 0, global: weights.global + weights.lookahead };
  else w = { ...weights };
  const sum = w.local + w.lookahead + w.global;
  if (!(sum > 0)) return undefined;
  return { local: w.local / sum, lookahead: w.lookahead / sum, global: w.global / sum };
}

/** Per-lens candidate scores in [0, 1]; a lens not evaluated is null and must carry zero weight. */
export interface MeasuredLenses {
  local: number | null;
  lookahead: number | null;
  global: number;
}

export function jointReward(scores: MeasuredLenses, weights: JointWeights): number {
  return weights.local * (scores.local ?? 0) + weights.lookahead * (scores.lookahead ?? 0) + weights.global * scores.global;
}

/**
 * The joint weights a candidate is really scored with once the labelled ablations apply
 * (shared/maspo.md, "What it refuses": each removes a mechanism the method depends on, so maspo
 * offers them only for benchmarking; they are declared in @maspo/core). Every step scores with `ablatedWeights`, never the raw weights.
 */
import type { Ablations, JointWeights } from "@maspo/core";

/** The weights a candidate is actually scored with, after the ablations. */
export function ablatedWeights(weights: JointWeights, ablations: Ablations): JointWeights {
  if (ablations.independent) return { local: 1, lookahead: 0, global: 0 };
  if (ablations.globalOnly) return { local: 0, lookahead: 0, global: 1 };
  if (ablations.noLookahead) {
    const sum = weights.local + weights.global;
    return { local: weights.local / sum, lookahead: 0, global: weights.global / sum };
  }
  return weights;
}

/**
 * The centred joint score J of a beam member (shared/maspo.md, "Scoring"). J = R − 0.5, so "as good
 * as the reference" is 0. A proposed child accumulates its parent's J, which is why every parent of
 * a step shares one minibatch; Beam Refresh re-anchors every member to the current global best, and
 * the best itself, its own reference, scores exactly 0 with neutral lenses.
 */
import type { LensScores } from "@maspo/core";

/** The lens scores of a prompt compared with itself: every lens a tie. */
export const NEUTRAL: LensScores = { local: 0.5, lookahead: 0.5, global: 0.5 };

/** J of the current global best at Beam Refresh, and of the root 𝒫⁽⁰⁾ at beam initialisation. */
export const REFERENCE_J = 0;

/** J(child) = R(child, parent) − 0.5 + J(parent). */
export function childJ(R: number, parentJ: number): number {
  return R - 0.5 + parentJ;
}

/** J_new(p) = R(p, p*) − 0.5 at Beam Refresh: the cumulative score is dropped, not carried. */
export function refreshJ(R: number): number {
  return R - 0.5;
}

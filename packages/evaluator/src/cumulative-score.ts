/**
 * Centred, cumulative joint scores (shared/maspo.md "Scoring"). A proposed child inherits its
 * parent's score plus how it did against the parent, so every beam member is scored on one scale;
 * Beam Refresh throws the stale history away and re-anchors every member to the current global best.
 */

/** J = R − 0.5: 0 means as good as the reference. */
export function centred(reward: number): number {
  return reward - 0.5;
}

/** J(child) = R(child, parent) − 0.5 + J(parent). */
export function childJoint(rewardVsParent: number, parentJoint: number): number {
  return centred(rewardVsParent) + parentJoint;
}

/** Beam Refresh: J_new(p) = R(p, p*) − 0.5, and the current global best p* itself scores 0. */
export function refreshedJoint(rewardVsBest: number, isGlobalBest = false): number {
  return isGlobalBest ? 0 : centred(rewardVsBest);
}

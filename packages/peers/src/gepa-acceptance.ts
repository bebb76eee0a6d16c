/**
 * GEPA's acceptance rules. A reflective child is kept only on strict improvement of the minibatch sum
 * over its parent's (GEPA's `StrictImprovementAcceptance`); a merge is kept when its sum on the merge
 * subsample is at least each parent's there; a minibatch the parent already aced is skipped
 * (`skip_perfect_score`, perfect score 1).
 */

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

export function strictImprovement(parentScores: readonly number[], childScores: readonly number[]): boolean {
  return sum(childScores) > sum(parentScores);
}

export function mergeAccepted(mergedScores: readonly number[], parentSums: readonly number[]): boolean {
  return sum(mergedScores) >= Math.max(...parentSums);
}

export function allPerfect(scores: readonly number[], perfect = 1): boolean {
  return scores.length > 0 && scores.every((s) => s >= perfect);
}

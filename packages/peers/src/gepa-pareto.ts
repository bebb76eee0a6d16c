/**
 * GEPA's candidate selector (gepa `select_program_candidate_from_pareto_front`): the per-instance
 * Pareto fronts of the candidates' validation scores, the dominated candidates removed, and a parent
 * sampled with probability proportional to the number of fronts it is in.
 */
import type { Rng } from "@maspo/core";

/**
 * For each validation instance i, the candidates at its best score: F_i = {k : S[k][i] = max_k S[k][i]}.
 * `scores[k][i]` is candidate k's score on instance i; every candidate is scored on every instance.
 */
export function paretoFronts(scores: readonly (readonly number[])[]): Set<number>[] {
  const instances = scores[0]?.length ?? 0;
  const fronts: Set<number>[] = [];
  for (let i = 0; i < instances; i++) {
    let best = Number.NEGATIVE_INFINITY;
    for (const s of scores) best = Math.max(best, s[i] ?? Number.NEGATIVE_INFINITY);
    fronts.push(new Set(scores.flatMap((s, k) => (s[i] === best ? [k] : []))));
  }
  return fronts;
}

/**
 * The candidates that survive domination: in ascending order of aggregate score (ties by index), a
 * candidate is dropped when every front holding it also holds another survivor; repeated until none
 * can be dropped. Returns the survivors and each front restricted to them.
 */
export function removeDominated(
  fronts: readonly ReadonlySet<number>[],
  aggregate: readonly number[],
): { survivors: number[]; fronts: Set<number>[] } {
  const onFront = [...new Set(fronts.flatMap((f) => [...f]))].sort((a, b) => (aggregate[a] ?? 0) - (aggregate[b] ?? 0) || a - b);
  const dominated = new Set<number>();
  const dominatedBy = (y: number, others: ReadonlySet<number>) =>
    fronts.every((front) => !front.has(y) || [...front].some((p) => p !== y && others.has(p)));
  for (let changed = true; changed;) {
    changed = false;
    for (const y of onFront) {
      if (dominated.has(y)) continue;
      const others = new Set(onFront.filter((p) => p !== y && !dominated.has(p)));
      if (dominatedBy(y, others)) {
        dominated.add(y);
        changed = true;
        break;
      }
    }
  }
  const survivors = onFront.filter((p) => !dominated.has(p));
  return { survivors, fronts: fronts.map((f) => new Set([...f].filter((p) => !dominated.has(p)))) };
}

/** The parent: a survivor drawn with probability ∝ the number of (reduced) fronts it is in. */
export function selectParetoCandidate(fronts: readonly ReadonlySet<number>[], aggregate: readonly number[], rng: Rng): number {
  const reduced = removeDominated(fronts, aggregate).fronts;
  const frequency = new Map<number, number>();
  for (const front of reduced) for (const k of front) frequency.set(k, (frequency.get(k) ?? 0) + 1);
  const sampling = [...frequency.entries()].flatMap(([k, n]) => Array.from({ length: n }, () => k));
  return rng.pick(sampling);
}

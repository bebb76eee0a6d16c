/**
 * Did-you-mean suggestions for mistyped names (spec keys, agent ids, model ids), by edit distance
 * over names compared without case, "_" or "-", so `held_out_used_for_tuning` finds
 * `heldOutUsedForTuning`.
 */

function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, "");
}

/** Edit distance counting a swap of two neighbouring letters as one edit (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const cell = (i: number, j: number) => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(cell(i - 1, j) + 1, cell(i, j - 1) + 1, cell(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, cell(i - 2, j - 2) + 1);
      row[j] = d;
    }
  }
  return cell(a.length, b.length);
}

/** The closest candidate when it is close enough to be a likely typo, else undefined. */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const w = normalize(word);
  const limit = Math.max(1, Math.floor(w.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const d = editDistance(w, normalize(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // A word that shares nothing with the candidate ("z" for "a") is not a typo of it.
  if (best === undefined || bestDistance > limit) return undefined;
  return bestDistance < Math.max(w.length, normalize(best).length) ? best : undefined;
}

/** `did you mean "x"?` or undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const match = closestMatch(word, candidates);
  return match === undefined ? undefined : `did you mean "${match}"?`;
}

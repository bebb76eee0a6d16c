/**
 * GEPA's merge (gepa `proposer/merge.py`, on in dspy.GEPA): two non-dominated candidates, neither an
 * ancestor of the other, with a common ancestor no better than either in which exactly one side
 * changed some component, are combined component by component — the side that changed it wins; both
 * changed: the one with the higher aggregate score (a tie: a coin); neither: either. The merged
 * candidate is tried on a few validation instances stratified over where each parent wins and where
 * they tie. (GEPA also asks for a validation overlap of 5 instances between the two; every candidate
 * here is scored on all of them, so that always holds.)
 */
import type { Rng } from "@maspo/core";
import type { PromptSet } from "./search-budget.js";

export interface MergeLedger {
  /** "i,j,ancestor" triplets already merged. */
  triplets: Set<string>;
  /** "i,j,sources" merges already built (the same combination is not built twice). */
  built: Set<string>;
}

export function newMergeLedger(): MergeLedger {
  return { triplets: new Set(), built: new Set() };
}

/** Every ancestor of `k` (its parents, theirs, ...). */
export function ancestorsOf(parents: readonly (readonly number[])[], k: number): Set<number> {
  const found = new Set<number>();
  const visit = (n: number) => {
    for (const p of parents[n] ?? []) {
      if (!found.has(p)) {
        found.add(p);
        visit(p);
      }
    }
  };
  visit(k);
  return found;
}

/** Some component equals the ancestor's on exactly one side, and the two sides differ there. */
export function hasDesirableComponent(programs: readonly PromptSet[], ancestor: number, i: number, j: number): boolean {
  const a = programs[ancestor] ?? {};
  const pi = programs[i] ?? {};
  const pj = programs[j] ?? {};
  return Object.keys(a).some((c) => (a[c] === pi[c] || a[c] === pj[c]) && pi[c] !== pj[c]);
}

/** A pair (i < j) of `candidates` and a common ancestor fit to merge, in up to `attempts` draws. */
export function findMergeTriplet(
  rng: Rng,
  input: {
    candidates: readonly number[];
    parents: readonly (readonly number[])[];
    aggregate: readonly number[];
    programs: readonly PromptSet[];
    ledger: MergeLedger;
  },
  attempts = 10,
): { i: number; j: number; ancestor: number } | undefined {
  const { candidates, parents, aggregate, programs, ledger } = input;
  for (let n = 0; n < attempts; n++) {
    if (candidates.length < 2) return undefined;
    const [x, y] = rng.sample(candidates, 2) as [number, number];
    const [i, j] = x < y ? [x, y] : [y, x];
    const ai = ancestorsOf(parents, i);
    const aj = ancestorsOf(parents, j);
    if (ai.has(j) || aj.has(i)) continue;
    const common = [...ai]
      .filter((a) => aj.has(a))
      .sort((a, b) => a - b)
      .filter(
        (a) =>
          !ledger.triplets.has(`${i},${j},${a}`) &&
          (aggregate[a] ?? 0) <= (aggregate[i] ?? 0) &&
          (aggregate[a] ?? 0) <= (aggregate[j] ?? 0) &&
          hasDesirableComponent(programs, a, i, j),
      );
    if (common.length === 0) continue;
    return {
      i,
      j,
      ancestor: weightedPick(
        rng,
        common,
        common.map((a) => aggregate[a] ?? 0),
      ),
    };
  }
  return undefined;
}

/** An item drawn with probability ∝ its weight (uniformly when every weight is 0). */
function weightedPick(rng: Rng, items: readonly number[], weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return rng.pick(items);
  let r = rng.next() * total;
  for (const [k, item] of items.entries()) {
    r -= weights[k] ?? 0;
    if (r < 0) return item;
  }
  return items[items.length - 1] as number;
}

/** The merged prompt set of i and j over their ancestor, and which side each component came from. */
export function mergePrograms(
  rng: Rng,
  programs: readonly PromptSet[],
  aggregate: readonly number[],
  triplet: { i: number; j: number; ancestor: number },
): { prompts: Record<string, string>; sources: number[] } {
  const { i, j, ancestor } = triplet;
  const a = programs[ancestor] ?? {};
  const pi = programs[i] ?? {};
  const pj = programs[j] ?? {};
  const prompts: Record<string, string> = { ...a };
  const sources: number[] = [];
  for (const c of Object.keys(a).sort()) {
    let from: number;
    if ((a[c] === pi[c] || a[c] === pj[c]) && pi[c] !== pj[c]) from = a[c] === pi[c] ? j : i;
    else if (a[c] !== pi[c] && a[c] !== pj[c]) {
      const si = aggregate[i] ?? 0;
      const sj = aggregate[j] ?? 0;
      from = si > sj ? i : sj > si ? j : rng.pick([i, j]);
    } else from = i;
    prompts[c] = (programs[from] ?? {})[c] as string;
    sources.push(from);
  }
  return { prompts, sources };
}

/** A merge to try now (its triplet and build recorded in the ledger), or undefined. */
export function proposeMerge(
  rng: Rng,
  input: Parameters<typeof findMergeTriplet>[1],
  attempts = 10,
): { prompts: Record<string, string>; i: number; j: number; ancestor: number } | undefined {
  if (input.candidates.length < 2 || input.parents.length < 3) return undefined;
  for (let n = 0; n < attempts; n++) {
    const triplet = findMergeTriplet(rng, input, attempts);
    if (!triplet) continue;
    const merged = mergePrograms(rng, input.programs, input.aggregate, triplet);
    const key = `${triplet.i},${triplet.j},${merged.sources.join(",")}`;
    if (input.ledger.built.has(key)) continue;
    input.ledger.built.add(key);
    input.ledger.triplets.add(`${triplet.i},${triplet.j},${triplet.ancestor}`);
    return { prompts: merged.prompts, ...triplet };
  }
  return undefined;
}

/** `n` validation instances: about a third where i beats j, a third where j beats i, a third tied; topped up at random. */
export function mergeSubsample(rng: Rng, scoresI: readonly number[], scoresJ: readonly number[], n = 5): number[] {
  const ids = scoresI.map((_, k) => k);
  const buckets = [
    ids.filter((k) => (scoresI[k] ?? 0) > (scoresJ[k] ?? 0)),
    ids.filter((k) => (scoresJ[k] ?? 0) > (scoresI[k] ?? 0)),
    ids.filter((k) => (scoresI[k] ?? 0) === (scoresJ[k] ?? 0)),
  ];
  const each = Math.max(1, Math.ceil(n / 3));
  const selected: number[] = [];
  for (const bucket of buckets) {
    if (selected.length >= n) break;
    const available = bucket.filter((k) => !selected.includes(k));
    selected.push(...rng.sample(available, Math.min(available.length, each, n - selected.length)));
  }
  const remaining = n - selected.length;
  if (remaining > 0) {
    const unused = ids.filter((k) => !selected.includes(k));
    if (unused.length >= remaining) selected.push(...rng.sample(unused, remaining));
    else for (let r = 0; r < remaining && ids.length > 0; r++) selected.push(rng.pick(ids));
  }
  return selected.slice(0, n);
}

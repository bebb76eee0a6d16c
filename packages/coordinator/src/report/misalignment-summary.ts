/**
 * Report section 3: ℬ_mis re-tested under the final prompts. The buffer never drops a case for being
 * repaired, so its counts alone only ever grow; here each buffered case is marked repaired when the
 * finish's run of its example under the final prompts gets it right (no extra call), and each
 * category's open cases are compared with the count it had when it first entered the buffer.
 */
import type { RunState } from "../run-state.js";
import type { UnrepairedCase } from "./build-report.js";
import type { Report } from "./report-schema.js";

type Misalignment = Report["misalignment"];

/** Consecutive round-end transitions in which |ℬ_mis| grew, at least this many: the topology recommendation. */
export const GROWTH_ROUNDS_FOR_TOPOLOGY = 3;

const caseKey = (agent: string, example: string, category: string) => `${agent}\u0000${example}\u0000${category}`;

/** Is a re-tested case now right? null when its example's outcome was not measurable. */
export function isRepaired(c: Pick<UnrepairedCase, "finalScore">): boolean | null {
  return c.finalScore === null ? null : c.finalScore === 1;
}

export function misalignmentSummary(state: RunState, retested: readonly UnrepairedCase[]): Misalignment {
  const byId = new Map(retested.flatMap((c) => (c.caseId === undefined ? [] : [[c.caseId, c] as const])));
  const byKey = new Map(retested.map((c) => [caseKey(c.agentId, c.exampleId, c.category), c]));
  const cases = state.buffer.map((c) => {
    const t = byId.get(c.id) ?? byKey.get(caseKey(c.agentId, c.exampleId, c.category));
    return { id: c.id, agent: c.agentId, exampleId: c.exampleId, category: c.category, round: c.round, repaired: t ? isRepaired(t) : null };
  });
  const counts = new Map<string, number>();
  for (const c of cases) counts.set(c.category, (counts.get(c.category) ?? 0) + 1);
  const topCategories = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 3)
    .map(([category, count]) => {
      const mine = cases.filter((c) => c.category === category);
      const repaired = mine.filter((c) => c.repaired === true).length;
      const open = count - repaired;
      const firstSeen = firstSeenOf(state, category, mine);
      const trend: Misalignment["topCategories"][number]["trend"] =
        open === 0 ? "repaired" : open < firstSeen.count ? "shrank" : open > firstSeen.count ? "grew" : "unchanged";
      return { category, count, firstSeen, repaired, open, trend };
    });
  const sizes = state.rounds.map((r) => ({ round: r.round, size: r.bufferSize }));
  return { count: state.buffer.length, topCategories, cases, growth: { sizes, longestGrowthRounds: longestGrowth(sizes) } };
}

/** The first round end whose buffer held the category, with its count then; else its earliest cases. */
function firstSeenOf(state: RunState, category: string, mine: readonly { round: number }[]): { round: number; count: number } {
  const at = state.rounds.find((r) => (r.categories[category] ?? 0) > 0);
  if (at) return { round: at.round, count: at.categories[category] ?? 0 };
  const round = Math.min(...mine.map((c) => c.round));
  return { round, count: mine.filter((c) => c.round === round).length };
}

/** The longest run of consecutive round ends at which the buffer was larger than at the one before. */
export function longestGrowth(sizes: readonly { size: number }[]): number {
  let best = 0;
  let run = 0;
  for (let i = 1; i < sizes.length; i++) {
    run = (sizes[i]?.size ?? 0) > (sizes[i - 1]?.size ?? 0) ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}

/** The rounds of the longest growth run, as "round 1: 6 → round 2: 12 → …", for the recommendation's evidence. */
export function growthEvidence(sizes: readonly { round: number; size: number }[]): string {
  let bestStart = 0;
  let bestLen = 0;
  let start = 0;
  for (let i = 1; i < sizes.length; i++) {
    if ((sizes[i]?.size ?? 0) <= (sizes[i - 1]?.size ?? 0)) start = i;
    else if (i - start > bestLen) {
      bestLen = i - start;
      bestStart = start;
    }
  }
  return sizes
    .slice(bestStart, bestStart + bestLen + 1)
    .map((s) => `round ${s.round}: ${s.size}`)
    .join(" → ");
}

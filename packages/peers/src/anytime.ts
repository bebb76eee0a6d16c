/**
 * Anytime curves: an optimizer's best-so-far prompt set at each budget point (calls sent), and its
 * held-out score there. Each distinct set is run on the held-out split once.
 */
import { type PromptSet, type Snapshot, bestWithin } from "./search-budget.js";

/** The budget points of the bench's curves, in calls sent. */
export const BUDGET_POINTS: readonly number[] = Object.freeze([1000, 2000, 3000, 5000, 7500, 10000]);

export interface AnytimePoint {
  /** The budget point. */
  calls: number;
  /** Calls spent when the set at this point became the best so far. */
  reachedAt: number;
  heldOut: number;
  prompts: PromptSet;
}

export async function anytimeCurve(
  snapshots: readonly Snapshot[],
  points: readonly number[],
  heldOutScore: (prompts: PromptSet) => Promise<number>,
): Promise<AnytimePoint[]> {
  const measured = new Map<string, number>();
  const curve: AnytimePoint[] = [];
  for (const calls of points) {
    const s = bestWithin(snapshots, calls);
    const key = JSON.stringify(Object.entries(s.prompts).sort());
    let heldOut = measured.get(key);
    if (heldOut === undefined) {
      heldOut = await heldOutScore(s.prompts);
      measured.set(key, heldOut);
    }
    curve.push({ calls, reachedAt: s.calls, heldOut, prompts: s.prompts });
  }
  return curve;
}

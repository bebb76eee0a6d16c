/**
 * A peer's budget and its anytime record. A peer runs while fewer than `calls` LLM calls were sent
 * (checked between iterations, as GEPA checks its metric-call budget), and records its best-so-far
 * prompt set whenever that changes, with the spend at that moment. Its answer at a budget of B calls
 * is the last best-so-far recorded within B: an iteration that crossed the budget does not count, so
 * no peer is credited with more than the calls it was given.
 */
import type { Spend } from "./call-meter.js";

export type PromptSet = Readonly<Record<string, string>>;

export interface Snapshot {
  /** Calls sent when this set became the best so far. */
  calls: number;
  tokens: number;
  prompts: PromptSet;
}

export class SearchBudget {
  readonly snapshots: Snapshot[] = [];

  constructor(
    readonly calls: number,
    private readonly spent: () => Spend,
  ) {}

  exhausted(): boolean {
    return this.spent().calls >= this.calls;
  }

  /** Record `prompts` as the best so far at the current spend (a repeat of the last record is dropped). */
  record(prompts: PromptSet): void {
    const last = this.snapshots[this.snapshots.length - 1];
    if (last && samePrompts(last.prompts, prompts)) return;
    const { calls, tokens } = this.spent();
    this.snapshots.push({ calls, tokens, prompts: { ...prompts } });
  }
}

export function samePrompts(a: PromptSet, b: PromptSet): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/**
 * The best-so-far set at a budget of `calls`: the last snapshot taken within it (snapshots are in
 * the order taken, so their calls never decrease). The first snapshot (the initial set, at 0 calls)
 * answers any budget below the rest.
 */
export function bestWithin(snapshots: readonly Snapshot[], calls: number): Snapshot {
  const first = snapshots[0];
  if (!first) throw new RangeError("bestWithin: no snapshot recorded");
  let best = first;
  for (const s of snapshots) if (s.calls <= calls) best = s;
  return best;
}

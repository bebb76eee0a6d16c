/**
 * ℬ_mis: per agent, the strongest misalignment cases seen so far (won locally, lost downstream),
 * capped at the spec's budget. They come back as hard negatives in the optimizer's meta-prompt and
 * as injected examples in the successors' minibatches.
 */

export interface BufferedCase {
  /** Unique per (agent, prompt version, example). */
  id: string;
  agentId: string;
  exampleId: string;
  promptVersion: string;
  category: string;
  strength: number;
  /** The round it was mined in. */
  round: number;
}

/** Strongest first; among equally strong cases the more recent, so a full buffer keeps learning instead of freezing in id order. */
function compareCases(a: BufferedCase, b: BufferedCase): number {
  if (b.strength !== a.strength) return b.strength - a.strength;
  if (b.round !== a.round) return b.round - a.round;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export class MisalignmentBuffer<C extends BufferedCase = BufferedCase> {
  private readonly cases = new Map<string, C[]>();

  constructor(private readonly budgetPerAgent: number) {}

  /** Adds new cases (an id already held is ignored) and keeps the strongest `budget` per agent. */
  add(newCases: readonly C[]): void {
    for (const c of newCases) {
      const list = this.cases.get(c.agentId) ?? [];
      if (list.some((x) => x.id === c.id)) continue;
      list.push(c);
      list.sort(compareCases);
      this.cases.set(c.agentId, list.slice(0, this.budgetPerAgent));
    }
  }

  forAgent(agentId: string): readonly C[] {
    return this.cases.get(agentId) ?? [];
  }

  /** The strongest n cases for an agent. */
  strongest(agentId: string, n: number): C[] {
    return this.forAgent(agentId).slice(0, n);
  }

  size(agentId?: string): number {
    if (agentId !== undefined) return this.forAgent(agentId).length;
    let n = 0;
    for (const list of this.cases.values()) n += list.length;
    return n;
  }

  /** Cases per category, over every agent. */
  countByCategory(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const list of this.cases.values()) for (const c of list) counts.set(c.category, (counts.get(c.category) ?? 0) + 1);
    return counts;
  }

  toJSON(): C[] {
    return [...this.cases.keys()].sort().flatMap((k) => this.cases.get(k) ?? []);
  }

  static fromJSON<C extends BufferedCase>(budgetPerAgent: number, cases: readonly C[]): MisalignmentBuffer<C> {
    const buffer = new MisalignmentBuffer<C>(budgetPerAgent);
    buffer.add(cases);
    return buffer;
  }
}

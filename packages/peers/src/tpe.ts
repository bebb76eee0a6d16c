/**
 * A categorical Tree-structured Parzen Estimator over the product of per-agent instruction choices,
 * one independent estimator per agent (as Optuna's TPESampler does by default, which MIPROv2 uses):
 * the first `startupTrials` combinations are uniform; after that the trials are split at the γ
 * quantile of their scores into good and bad, each agent's choice is modelled by smoothed category
 * frequencies l(x) (good) and g(x) (bad), `eiCandidates` values are drawn from l, and the one with
 * the highest l(x)/g(x) is suggested. Scores are maximised.
 */
import type { Rng } from "@maspo/core";

export interface TpeOptions {
  gamma: number;
  startupTrials: number;
  eiCandidates: number;
  /** Weight of the uniform prior in each density. */
  priorWeight: number;
}

export const DEFAULT_TPE: TpeOptions = Object.freeze({ gamma: 0.25, startupTrials: 10, eiCandidates: 24, priorWeight: 1 });

/** Smoothed frequencies of `observed` over `n` categories. */
export function categoryDensity(observed: readonly number[], n: number, priorWeight: number): number[] {
  const counts = Array.from({ length: n }, () => priorWeight / n);
  for (const x of observed) counts[x] = (counts[x] ?? 0) + 1;
  const total = observed.length + priorWeight;
  return counts.map((c) => c / total);
}

function draw(rng: Rng, density: readonly number[]): number {
  let r = rng.next();
  for (const [x, p] of density.entries()) {
    r -= p;
    if (r < 0) return x;
  }
  return density.length - 1;
}

export class CategoricalTpe {
  private readonly trials: { x: number[]; y: number }[] = [];
  private readonly options: TpeOptions;

  constructor(
    private readonly sizes: readonly number[],
    private readonly rng: Rng,
    options: Partial<TpeOptions> = {},
  ) {
    this.options = { ...DEFAULT_TPE, ...options };
  }

  get observed(): number {
    return this.trials.length;
  }

  suggest(): number[] {
    const { gamma, startupTrials, eiCandidates, priorWeight } = this.options;
    if (this.trials.length < startupTrials) return this.sizes.map((n) => this.rng.int(n));
    // Stable sort: among equal scores the earlier trial counts as better.
    const sorted = [...this.trials].sort((a, b) => b.y - a.y);
    const nGood = Math.max(1, Math.ceil(gamma * sorted.length));
    const good = sorted.slice(0, nGood);
    const bad = sorted.slice(nGood);
    return this.sizes.map((n, p) => {
      const l = categoryDensity(
        good.map((t) => t.x[p] as number),
        n,
        priorWeight,
      );
      const g = categoryDensity(
        bad.map((t) => t.x[p] as number),
        n,
        priorWeight,
      );
      let best = 0;
      let bestRatio = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < eiCandidates; c++) {
        const x = draw(this.rng, l);
        const ratio = Math.log(l[x] as number) - Math.log(g[x] as number);
        if (ratio > bestRatio) {
          bestRatio = ratio;
          best = x;
        }
      }
      return best;
    });
  }

  observe(x: readonly number[], y: number): void {
    this.trials.push({ x: [...x], y });
  }
}

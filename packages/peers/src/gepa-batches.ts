/**
 * GEPA's reflection minibatches (gepa `EpochShuffledBatchSampler`): the train ids shuffled once per
 * epoch and padded to a multiple of the minibatch size with the least used ids; iteration i takes the
 * i-th chunk, and the ids are reshuffled when i crosses into a new epoch.
 */
import type { Rng } from "@maspo/core";

export class EpochShuffledBatches {
  private shuffled: number[] = [];
  private epoch = -1;

  constructor(
    private readonly size: number,
    private readonly count: number,
    private readonly rng: Rng,
  ) {
    if (size < 1 || count < 1) throw new RangeError("EpochShuffledBatches: size and count must be ≥ 1");
  }

  /** Indices into the train pool for iteration `iteration` (0-based). */
  next(iteration: number): number[] {
    const base = iteration * this.size;
    const epoch = this.epoch === -1 ? 0 : Math.floor(base / this.shuffled.length);
    if (this.shuffled.length === 0 || epoch > this.epoch) {
      this.epoch = epoch;
      this.reshuffle();
    }
    const start = base % this.shuffled.length;
    return this.shuffled.slice(start, start + this.size);
  }

  private reshuffle(): void {
    this.shuffled = this.rng.shuffle(Array.from({ length: this.count }, (_, i) => i));
    const used = new Map(this.shuffled.map((i) => [i, 1]));
    const pad = (this.size - (this.count % this.size)) % this.size;
    for (let p = 0; p < pad; p++) {
      // The least used id (the earliest of them in shuffled order).
      const least = [...used.entries()].reduce((a, b) => (b[1] < a[1] ? b : a));
      this.shuffled.push(least[0]);
      used.set(least[0], least[1] + 1);
    }
  }
}

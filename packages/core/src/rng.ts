/**
 * Seeded randomness. Every random choice in maspo comes from an Rng derived from the run seed and a
 * path of labels (epoch, round, agent, step...), so a choice never depends on the order in which
 * work finished or on how many workers ran it.
 */
import { createHash } from "node:crypto";

/** A 32-bit seed derived from a base seed and labels, stable across machines and Node versions. */
export function deriveSeed(seed: number | string, ...labels: readonly (string | number)[]): number {
  const h = createHash("sha256");
  h.update(String(seed));
  for (const label of labels) {
    h.update("\u0000");
    h.update(String(label));
  }
  return h.digest().readUInt32LE(0);
}

/** mulberry32: small, fast, and good enough for sampling; not for cryptography. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  static derive(seed: number | string, ...labels: readonly (string | number)[]): Rng {
    return new Rng(deriveSeed(seed, ...labels));
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  bool(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Rng.pick: empty list");
    return items[this.int(items.length)] as T;
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** k distinct items, in a random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    return this.shuffle(items).slice(0, Math.max(0, Math.min(k, items.length)));
  }

  /** The internal state, for checkpoints. */
  get snapshot(): number {
    return this.state;
  }
}

import { Rng } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { EpochShuffledBatches } from "./gepa-batches.js";

describe("GEPA's epoch-shuffled minibatches", () => {
  it("covers every train id once per epoch, in a new order each epoch", () => {
    const batches = new EpochShuffledBatches(3, 12, new Rng(1));
    const epoch = (e: number) => Array.from({ length: 4 }, (_, i) => batches.next(e * 4 + i)).flat();
    const first = epoch(0);
    const second = epoch(1);
    expect([...first].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect([...second].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(second).not.toEqual(first);
  });

  it("pads an epoch to a multiple of the minibatch size with the least used ids", () => {
    const batches = new EpochShuffledBatches(3, 7, new Rng(2));
    const epoch = [0, 1, 2].flatMap((i) => batches.next(i));
    expect(epoch).toHaveLength(9);
    const counts = new Map<number, number>();
    for (const id of epoch) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(counts.size).toBe(7);
    expect([...counts.values()].filter((n) => n === 2)).toHaveLength(2);
  });
});

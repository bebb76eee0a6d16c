import { describe, expect, it } from "vitest";
import { Rng, deriveSeed } from "./rng.js";

describe("Rng", () => {
  it("gives the same sequence for the same derived seed", () => {
    const a = Rng.derive(7, "epoch", 1, "agent", "solver");
    const b = Rng.derive(7, "epoch", 1, "agent", "solver");
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
  });

  it("gives different seeds for different label paths", () => {
    expect(deriveSeed(7, "a", 1)).not.toBe(deriveSeed(7, "a", 2));
    expect(deriveSeed(7, "a1")).not.toBe(deriveSeed(7, "a", 1));
  });

  it("samples distinct items within bounds", () => {
    const r = new Rng(1);
    const s = r.sample([1, 2, 3, 4, 5], 3);
    expect(new Set(s).size).toBe(3);
    for (const x of s) expect([1, 2, 3, 4, 5]).toContain(x);
    for (let i = 0; i < 1000; i++) {
      const v = r.next();
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });
});

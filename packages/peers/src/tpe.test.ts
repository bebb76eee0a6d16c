import { Rng } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { CategoricalTpe, categoryDensity } from "./tpe.js";

describe("the categorical TPE of the MIPRO-style search", () => {
  it("smooths category frequencies into a distribution", () => {
    const d = categoryDensity([0, 0, 2], 3, 1);
    expect(d.reduce((a, b) => a + b, 0)).toBeCloseTo(1);
    expect(d[0]).toBeGreaterThan(d[2]!);
    expect(d[1]).toBeGreaterThan(0);
  });

  it("suggests uniformly during startup, then concentrates on the choices of the best trials", () => {
    const tpe = new CategoricalTpe([4, 4], new Rng(11), { startupTrials: 10 });
    // The score is high only when agent 0 takes choice 2 and agent 1 takes choice 1.
    const score = (x: number[]) => (x[0] === 2 ? 0.5 : 0) + (x[1] === 1 ? 0.5 : 0);
    const suggested: number[][] = [];
    for (let t = 0; t < 60; t++) {
      const x = tpe.suggest();
      suggested.push(x);
      tpe.observe(x, score(x));
    }
    const late = suggested.slice(40);
    expect(late.filter((x) => x[0] === 2 && x[1] === 1).length).toBeGreaterThan(late.length / 2);
  });
});

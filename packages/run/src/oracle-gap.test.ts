import { loadWorld, oracle } from "@maspo/simlm";
import { describe, expect, it } from "vitest";
import { oracleGapOf } from "./oracle-gap.js";

describe("oracle gap", () => {
  const world = loadWorld("math-chain");
  const o = oracle(world);

  it("closes none of the gap with the initial prompts and all of it with the oracle's best set, measured and expected", () => {
    const atFloor = oracleGapOf(world, o.floor, o.initial);
    expect(atFloor.gapClosed).toBeCloseTo(0);
    expect(atFloor.expectedGapClosed).toBeCloseTo(0);
    const atCeiling = oracleGapOf(world, o.ceiling, o.best);
    expect(atCeiling.gapClosed).toBeCloseTo(1);
    expect(atCeiling.expectedFinal).toBeCloseTo(o.ceiling);
  });

  it("is the same for a world sized with 50k train examples: the oracle reads held-out only, which the train split's size does not change", () => {
    const big = { ...world, data: { ...world.data, train: 50_000 } };
    // simlm's own oracle on the big world, every split generated as sized:
    const direct = oracle(big);
    const gap = oracleGapOf(big, direct.ceiling, direct.best);
    expect([gap.floor, gap.ceiling, gap.expectedFinal]).toEqual([direct.floor, direct.ceiling, direct.ceiling]);
    expect(gap.gapClosed).toBe(1);
  });

  it("has no measured gap for a judged held-out (a win rate, not a score on the oracle's scale), and no expected one for prompts simlm cannot place", () => {
    const judged = oracleGapOf(world, null, o.best);
    expect(judged.gapClosed).toBeNull();
    expect(judged.expectedGapClosed).toBeCloseTo(1);
    const unplaced = oracleGapOf(world, 0.5, { planner: "Say hello.", solver: "Say hello.", formatter: "Say hello." });
    expect(unplaced.expectedFinal).toBeNull();
  });
});

import { DEFAULT_WEIGHTS, PAPER_WEIGHTS } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { effectiveWeights, jointReward } from "./joint-reward.js";

describe("joint reward", () => {
  it("weighs the three lens win rates with the spec's weights", () => {
    const w = effectiveWeights(DEFAULT_WEIGHTS, { hasSuccessors: true });
    expect(w).toEqual({ local: 0.25, lookahead: 0.35, global: 0.4 });
    expect(jointReward({ local: 1, lookahead: 0, global: 0.5 }, w!)).toBeCloseTo(0.45);
  });

  it("accepts the paper preset as the spec hands it over", () => {
    expect(effectiveWeights(PAPER_WEIGHTS, { hasSuccessors: true })).toEqual({ local: 0.4, lookahead: 0.4, global: 0.2 });
  });

  it("moves the lookahead weight to global without successors or under the noLookahead ablation", () => {
    const moved = { local: 0.25, lookahead: 0, global: 0.75 };
    expect(effectiveWeights(DEFAULT_WEIGHTS, { hasSuccessors: false })).toEqual(moved);
    expect(effectiveWeights(DEFAULT_WEIGHTS, { hasSuccessors: true, ablations: { noLookahead: true } })).toEqual(moved);
  });

  it("normalises weights that do not sum to one, and refuses all-zero weights", () => {
    expect(effectiveWeights({ local: 1, lookahead: 1, global: 2 }, { hasSuccessors: true })).toEqual({
      local: 0.25,
      lookahead: 0.25,
      global: 0.5,
    });
    expect(effectiveWeights({ local: 0, lookahead: 1, global: 0 }, { hasSuccessors: true })).toEqual({ local: 0, lookahead: 1, global: 0 });
    expect(effectiveWeights({ local: 0, lookahead: 0, global: 0 }, { hasSuccessors: true })).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { allPerfect, mergeAccepted, strictImprovement } from "./gepa-acceptance.js";

describe("GEPA's acceptance", () => {
  it("keeps a child only when its minibatch sum is strictly higher", () => {
    expect(strictImprovement([0, 1, 0], [1, 1, 0])).toBe(true);
    expect(strictImprovement([0, 1, 0], [1, 0, 0])).toBe(false);
    expect(strictImprovement([0, 1, 0], [0, 0, 0])).toBe(false);
  });

  it("keeps a merge whose subsample sum is at least each parent's", () => {
    expect(mergeAccepted([1, 1, 0, 0, 1], [3, 2])).toBe(true);
    expect(mergeAccepted([1, 1, 0, 0, 0], [3, 2])).toBe(false);
  });

  it("skips a minibatch the parent already aces", () => {
    expect(allPerfect([1, 1, 1])).toBe(true);
    expect(allPerfect([1, 0.5, 1])).toBe(false);
    expect(allPerfect([])).toBe(false);
  });
});

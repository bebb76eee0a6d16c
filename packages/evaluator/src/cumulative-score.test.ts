import { describe, expect, it } from "vitest";
import { centred, childJoint, refreshedJoint } from "./cumulative-score.js";

describe("cumulative joint scores", () => {
  it("centres a reward so that matching the reference scores zero", () => {
    expect(centred(0.5)).toBe(0);
    expect(centred(0.8)).toBeCloseTo(0.3);
  });

  it("accumulates a child's score on top of its parent's", () => {
    const parent = childJoint(0.7, 0); // 0.2 against the root
    expect(childJoint(0.6, parent)).toBeCloseTo(0.3);
    expect(childJoint(0.4, parent)).toBeCloseTo(0.1);
  });

  it("re-anchors at Beam Refresh to the current global best, which itself scores zero", () => {
    expect(refreshedJoint(0.65)).toBeCloseTo(0.15);
    expect(refreshedJoint(0.65, true)).toBe(0);
  });
});

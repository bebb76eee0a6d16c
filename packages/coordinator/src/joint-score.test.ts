import { describe, expect, it } from "vitest";
import { NEUTRAL, REFERENCE_J, childJ, refreshJ } from "./joint-score.js";

describe("joint score J", () => {
  it("scores a child that only ties its parent exactly its parent's J", () => {
    expect(childJ(0.5, 0.37)).toBe(0.37);
  });

  it("accumulates a child's centred reward on its parent's J", () => {
    expect(childJ(0.9, 0.2)).toBeCloseTo(0.6, 12);
    expect(childJ(0.1, 0)).toBeCloseTo(-0.4, 12);
  });

  it("drops the cumulative score at Beam Refresh: J is the centred reward against the current best alone", () => {
    expect(refreshJ(0.75)).toBe(0.25);
    expect(refreshJ(0.5)).toBe(0);
  });

  it("scores the reference itself 0 with every lens a tie", () => {
    expect(REFERENCE_J).toBe(0);
    expect(NEUTRAL).toEqual({ local: 0.5, lookahead: 0.5, global: 0.5 });
  });
});

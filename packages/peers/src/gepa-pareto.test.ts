import { Rng } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { paretoFronts, removeDominated, selectParetoCandidate } from "./gepa-pareto.js";

describe("GEPA's Pareto candidate selector", () => {
  it("puts in each instance's front every candidate at that instance's best score", () => {
    const fronts = paretoFronts([
      [1, 0, 0],
      [1, 1, 0],
      [0, 0, 0],
    ]);
    expect(fronts.map((f) => [...f].sort())).toEqual([[0, 1], [1], [0, 1, 2]]);
  });

  it("drops a candidate when every front holding it holds another survivor, lowest aggregate first", () => {
    // 0 is in fronts {0,1} and {0,1,2}: 1 covers both, so 0 goes; 2 is only in {0,1,2}: 1 covers it too.
    const fronts = paretoFronts([
      [1, 0, 0],
      [1, 1, 0],
      [0, 0, 0],
    ]);
    const { survivors, fronts: reduced } = removeDominated(fronts, [1 / 3, 2 / 3, 0]);
    expect(survivors).toEqual([1]);
    expect(reduced.every((f) => [...f].every((k) => k === 1))).toBe(true);
  });

  it("keeps a weaker candidate that alone holds some instance's best score", () => {
    const fronts = paretoFronts([
      [1, 0, 0, 0],
      [0, 1, 1, 1],
    ]);
    expect(removeDominated(fronts, [0.25, 0.75]).survivors).toEqual([0, 1]);
  });

  it("samples a survivor with probability proportional to the fronts it is in", () => {
    const fronts = paretoFronts([
      [1, 0, 0, 0],
      [0, 1, 1, 1],
    ]);
    const rng = new Rng(7);
    const counts = [0, 0];
    for (let n = 0; n < 4000; n++) counts[selectParetoCandidate(fronts, [0.25, 0.75], rng)]! += 1;
    expect(counts[1]! / 4000).toBeGreaterThan(0.7);
    expect(counts[1]! / 4000).toBeLessThan(0.8);
  });
});

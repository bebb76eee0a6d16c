import { describe, expect, it } from "vitest";
import { closestMatch, editDistance } from "./did-you-mean.js";

describe("did-you-mean", () => {
  it("counts a swap of neighbouring letters as one edit", () => {
    expect(editDistance("inptu", "input")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });

  it("suggests across case and snake_case, and nothing for a distant word", () => {
    expect(closestMatch("held_out_used_for_tuning", ["heldOutUsedForTuning", "source"])).toBe("heldOutUsedForTuning");
    expect(closestMatch("beamsize", ["beamSize", "rounds"])).toBe("beamSize");
    expect(closestMatch("frobnicate", ["task", "models", "graph"])).toBeUndefined();
    expect(closestMatch("z", ["a"])).toBeUndefined();
    expect(closestMatch("aa", ["a"])).toBe("a");
  });
});

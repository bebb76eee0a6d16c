import { describe, expect, it } from "vitest";
import { type BeamMember, selectTopK } from "./beam.js";

const member = (version: string, J: number): BeamMember => ({
  version,
  prompt: `prompt ${version}`,
  J,
  lenses: { local: 0.5, lookahead: 0.5, global: 0.5 },
  finalMetric: null,
  lineage: { parent: null, operator: null, traceIds: [], hardNegativeIds: [] },
  scoredIn: "ctx",
  bornRound: 0,
});

describe("selectTopK", () => {
  it("keeps the K best by J, duplicates collapsed to the better copy", () => {
    const beam = selectTopK([member("a", 0.1), member("b", 0.3), member("a", 0.2), member("c", -0.1)], 2);
    expect(beam.map((m) => [m.version, m.J])).toEqual([
      ["b", 0.3],
      ["a", 0.2],
    ]);
  });

  it("keeps the incumbent first when a challenger only ties it", () => {
    // "0a" sorts before "zz" by version, so without the incumbent rule the tie would hand it the lead.
    const tie = selectTopK([member("zz", 0), member("0a", 0.5 - 0.5 + 1e-12)], 2, "zz");
    expect(tie[0]?.version).toBe("zz");
  });

  it("hands the lead to a challenger that really beats the incumbent", () => {
    const beaten = selectTopK([member("zz", 0), member("0a", 0.01)], 2, "zz");
    expect(beaten[0]?.version).toBe("0a");
  });
});

import { describe, expect, it } from "vitest";
import { type BeamMember, mayLead, selectTopK } from "./beam.js";

const member = (version: string, J: number, lenses: BeamMember["lenses"] = { local: 0.5, lookahead: 0.5, global: 0.5 }): BeamMember => ({
  version,
  prompt: `prompt ${version}`,
  J,
  lenses,
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

describe("promotion to the global best", () => {
  const weights = { lookahead: 0.35, global: 0.4 };
  const scored = (version: string, J: number, lenses: BeamMember["lenses"], finalMetric: number | null): BeamMember => ({
    ...member(version, J, lenses),
    finalMetric,
  });
  const collapsedTrap = scored("trap", 0.13, { local: 1, lookahead: 0.5, global: 0.5 }, 0);
  const graphWin = scored("fix", 0.05, { local: 0.4, lookahead: 0.6, global: 0.55 }, 0.2);

  it("keeps the incumbent first when the top challenger only ties the graph lenses while no final answer is right", () => {
    const beam = selectTopK([member("best", 0), collapsedTrap], 5, "best", (m) => mayLead(m, weights));
    expect(beam.map((m) => m.version)).toEqual(["best", "trap"]);
  });

  it("hands the lead to the best-ranked member whose lookahead and global show a gain", () => {
    const beam = selectTopK([member("best", 0), collapsedTrap, graphWin], 5, "best", (m) => mayLead(m, weights));
    expect(beam.map((m) => m.version)).toEqual(["fix", "trap", "best"]);
  });

  it("weighs lookahead and global as the joint reward does, and ignores a lookahead that was not scored", () => {
    expect(mayLead(scored("a", 0, { local: 0.5, lookahead: 0.45, global: 0.6 }, 0), weights)).toBe(true);
    expect(mayLead(scored("b", 0, { local: 0.5, lookahead: 0.6, global: 0.35 }, 0.5), weights)).toBe(false);
    expect(mayLead(scored("c", 0, { local: 0.9, lookahead: null, global: 0.55 }, 0), weights)).toBe(true);
  });

  it("bars a member whose graph lenses lose, however much it wins locally", () => {
    expect(mayLead(scored("extras", 0.03, { local: 0.8, lookahead: 0.5, global: 0.4 }, 0.3), weights)).toBe(false);
  });

  it("lets a graph tie lead only when some final answer on the minibatch was right, or there is no label", () => {
    const tie = { local: 0.9, lookahead: 0.5, global: 0.5 };
    expect(mayLead(scored("t1", 0.1, tie, 0.3), weights)).toBe(true);
    expect(mayLead(scored("t2", 0.1, tie, 0), weights)).toBe(false);
    expect(mayLead(scored("t3", 0.1, tie, null), weights)).toBe(true);
  });

  it("without labels, lets a graph tie lead only when the global lens compared some two different final answers", () => {
    const tie = { local: 0.9, lookahead: 0.5, global: 0.5 };
    expect(mayLead({ ...scored("u1", 0.1, tie, null), finalsCompared: true }, weights)).toBe(true);
    // every final answer came out the same text (or two non-answers): the whole margin is local
    expect(mayLead({ ...scored("u2", 0.1, tie, null), finalsCompared: false }, weights)).toBe(false);
    // a graph-level gain leads whatever was compared
    expect(mayLead({ ...scored("u3", 0, { local: 0.5, lookahead: 0.5, global: 0.6 }, null), finalsCompared: false }, weights)).toBe(true);
  });

  it("lets any member lead when no graph lens is weighted (the local-only ablation)", () => {
    expect(mayLead(collapsedTrap, { lookahead: 0, global: 0 })).toBe(true);
  });
});

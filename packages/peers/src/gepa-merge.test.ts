import { Rng } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { ancestorsOf, findMergeTriplet, mergePrograms, mergeSubsample, newMergeLedger, proposeMerge } from "./gepa-merge.js";

// 0 is the seed; 1 changed the planner, 2 changed the solver (both from 0); 3 is a child of 1.
const programs = [
  { planner: "p0", solver: "s0" },
  { planner: "p1", solver: "s0" },
  { planner: "p0", solver: "s2" },
  { planner: "p3", solver: "s0" },
];
const parents = [[], [0], [0], [1]];
const aggregate = [0.3, 0.5, 0.6, 0.55];

describe("GEPA's merge", () => {
  it("finds every ancestor through the parents", () => {
    expect([...ancestorsOf(parents, 3)].sort()).toEqual([0, 1]);
    expect(ancestorsOf(parents, 0).size).toBe(0);
  });

  it("pairs two candidates with a common ancestor where each changed a different component", () => {
    const t = findMergeTriplet(new Rng(3), { candidates: [1, 2], parents, aggregate, programs, ledger: newMergeLedger() });
    expect(t).toEqual({ i: 1, j: 2, ancestor: 0 });
  });

  it("never pairs a candidate with its own ancestor", () => {
    expect(findMergeTriplet(new Rng(3), { candidates: [1, 3], parents, aggregate, programs, ledger: newMergeLedger() })).toBeUndefined();
  });

  it("takes each component from the side that changed it", () => {
    const { prompts } = mergePrograms(new Rng(1), programs, aggregate, { i: 1, j: 2, ancestor: 0 });
    expect(prompts).toEqual({ planner: "p1", solver: "s2" });
  });

  it("takes a component both sides changed from the one with the higher aggregate score", () => {
    const both = [
      { planner: "p0", solver: "s0" },
      { planner: "pa", solver: "sa" },
      { planner: "pb", solver: "s0" },
    ];
    const { prompts } = mergePrograms(new Rng(1), both, [0.1, 0.4, 0.7], { i: 1, j: 2, ancestor: 0 });
    expect(prompts).toEqual({ planner: "pb", solver: "sa" });
  });

  it("does not build the same merge twice", () => {
    const ledger = newMergeLedger();
    const input = { candidates: [1, 2], parents, aggregate, programs, ledger };
    expect(proposeMerge(new Rng(5), input)?.prompts).toEqual({ planner: "p1", solver: "s2" });
    expect(proposeMerge(new Rng(5), input)).toBeUndefined();
  });

  it("draws the merge subsample from where each parent wins and where they tie", () => {
    const si = [1, 1, 0, 0, 1, 1, 0, 0];
    const sj = [0, 0, 1, 1, 1, 1, 0, 0];
    const ids = mergeSubsample(new Rng(4), si, sj, 5);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    expect(ids.some((k) => si[k]! > sj[k]!)).toBe(true);
    expect(ids.some((k) => sj[k]! > si[k]!)).toBe(true);
    expect(ids.some((k) => sj[k] === si[k])).toBe(true);
  });
});

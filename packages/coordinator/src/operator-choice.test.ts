import { Rng } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { member } from "./beam-member.fixture.js";
import type { HardNegative } from "@maspo/core";
import { chooseOperator, hybridBatch, initOperators } from "./operator-choice.js";

const negative = { id: "n1" } as HardNegative;

describe("initOperators", () => {
  it("rotates through the operators other than add_negative from one random offset", () => {
    const usable = ["rephrase", "add_constraint", "reorder_steps"];
    const offset = new Rng(1).int(usable.length);
    const ops = initOperators(["rephrase", "add_negative", "add_constraint", "reorder_steps"], new Rng(1), 4);
    expect(ops).toEqual([0, 1, 2, 3].map((i) => usable[(offset + i) % usable.length]));
  });

  it("falls back to add_negative when it is the only operator", () => {
    expect(initOperators(["add_negative"], new Rng(1), 2)).toEqual(["add_negative", "add_negative"]);
  });

  it("draws its offset even when no mutation is asked for, so the rng sequence does not depend on the beam size", () => {
    const rng = new Rng(5);
    expect(initOperators(["rephrase", "add_constraint"], rng, 0)).toEqual([]);
    const reference = new Rng(5);
    reference.int(2);
    expect(rng.snapshot).toBe(reference.snapshot);
  });
});

describe("chooseOperator", () => {
  it("never tosses the hard-negative coin when there is no hard negative, nor when add_negative is not an operator", () => {
    for (const [operators, has] of [
      [["rephrase", "add_negative"], false],
      [["rephrase", "add_constraint"], true],
    ] as const) {
      const rng = new Rng(9);
      const reference = new Rng(9);
      const operator = chooseOperator(operators, has, rng);
      expect(operator).toBe(reference.pick(operators.filter((o) => o !== "add_negative")));
      expect(rng.snapshot).toBe(reference.snapshot);
    }
  });

  it("drives about half the children by hard negatives when there are some", () => {
    const rng = new Rng(3);
    const picks = Array.from({ length: 400 }, () => chooseOperator(["rephrase", "add_constraint", "add_negative"], true, rng));
    const share = picks.filter((o) => o === "add_negative").length / picks.length;
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
  });

  it("uses add_negative when it is the only operator, with or without hard negatives", () => {
    expect(chooseOperator(["add_negative"], false, new Rng(1))).toBe("add_negative");
    expect(chooseOperator(["add_negative"], true, new Rng(1))).toBe("add_negative");
  });
});

describe("hybridBatch", () => {
  it("asks childrenPerParent children of each parent in beam order, and shows hard negatives only to add_negative children", () => {
    const parents = [member("p0"), member("p1")];
    const jobs = hybridBatch(parents, 3, ["rephrase", "add_negative"], [negative], new Rng(11), (p, c) => p * 10 + c);
    expect(jobs.map((j) => [j.parentIndex, j.seed])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 10],
      [1, 11],
      [1, 12],
    ]);
    expect(jobs.map((j) => j.parent.version)).toEqual(["p0", "p0", "p0", "p1", "p1", "p1"]);
    for (const j of jobs) expect(j.negatives).toEqual(j.operator === "add_negative" ? [negative] : []);
  });
});

import { loadSpecFile } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { applyPreset } from "./presets.js";
import { trainPoolOf } from "@maspo/run";

const examples = Array.from({ length: 80 }, (_, i) => ({ id: `t${i}`, input: `q${i}`, label: String(i) }));

describe("the paper preset", () => {
  it("sets the paper's weights (with a reason), K = 2, 2 children, 3 steps per agent, 3 rounds, pool 50, minibatch 10, 3 cases", async () => {
    const spec = applyPreset(await loadSpecFile("examples/math-chain.yaml", { env: {} }), "paper");
    expect(spec.weights).toMatchObject({ local: 0.4, lookahead: 0.4, global: 0.2 });
    expect(spec.weights.reason).toContain("paper");
    expect(spec.search).toMatchObject({ beamSize: 2, childrenPerParent: 2, stepsPerAgent: 3, rounds: 3, minibatchSize: 10, trainPool: 50 });
    expect(spec.misalignment.casesPerStep).toBe(3);
  });
});

describe("trainPoolOf", () => {
  it("keeps the whole train split when no pool size is set", () => {
    expect(trainPoolOf(examples, undefined, 1)).toEqual(examples);
  });

  it("draws the same seeded sample of the pool size, in split order, for the same seed", () => {
    const a = trainPoolOf(examples, 50, 1);
    expect(a).toHaveLength(50);
    expect(trainPoolOf(examples, 50, 1)).toEqual(a);
    expect(a.map((e) => Number(e.label))).toEqual([...a.map((e) => Number(e.label))].sort((x, y) => x - y));
    expect(trainPoolOf(examples, 50, 2)).not.toEqual(a);
  });
});

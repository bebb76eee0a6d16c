import type { EvaluateRequest, Evaluation, Example, Trace } from "@maspo/core";
import { describe, expect, it } from "vitest";
import type { BeamMember } from "./beam.js";
import { member } from "./beam-member.fixture.js";
import type { LoopContext } from "./loop-context.js";
import { keepTopKGuarded, type StepScoring } from "./promotion-guard.js";

type Guards = { finalMetricFloor: number | null; localValidityFloor: number | null; tokensPerRoundMax: number | null };
const NO_FLOORS: Guards = { finalMetricFloor: null, localValidityFloor: null, tokensPerRoundMax: null };
const minibatch: Example[] = Array.from({ length: 4 }, (_, i) => ({ id: `e${i}`, input: `q${i}` }));
const base: Trace[] = minibatch.map((e) => ({ exampleId: e.id, steps: {}, executed: [], finalAgent: "b", finalOutput: "" }));
const scored = (local: number, finalMetric: number | null = 0.5): Evaluation => ({
  R: 0.6,
  lenses: { local, lookahead: 0.7, global: 0.7 },
  finalMetric,
  cases: [],
  malformedVerdicts: 0,
});

/** Agent "a", best "incumbent" (a child of the initial prompt "initial"); an evaluation against "initial" answers `vsInitial`. */
function contextFor(guards: Guards, vsInitial: Evaluation): { ctx: LoopContext; asked: EvaluateRequest[] } {
  const asked: EvaluateRequest[] = [];
  const ctx = {
    config: {
      seed: 1,
      initialPrompts: { a: "initial", b: "b0" },
      graph: {
        final: "b",
        agents: [
          { id: "a", predecessors: [] },
          { id: "b", predecessors: ["a"] },
        ],
      },
      guards,
      search: { beamSize: 3 },
      ablations: { independent: false },
    },
    state: {
      best: { a: "incumbent", b: "b0" },
      prompts: { a: "incumbent", b: "b0" },
      beams: { a: [member("incumbent")] },
      guardEvents: [],
    },
    weights: { local: 0.25, lookahead: 0.35, global: 0.4 },
    useLookahead: true,
    workers: {
      evaluate: (req: EvaluateRequest) => {
        asked.push(req);
        return Promise.resolve(vsInitial);
      },
    },
  } as unknown as LoopContext;
  return { ctx, asked };
}

// A child that merely ties its parent (the incumbent) locally, and gains on the graph lenses.
const child: BeamMember = {
  ...member("child"),
  J: 0.2,
  lenses: { local: 0.5, lookahead: 0.7, global: 0.7 },
  lineage: { parent: "incumbent", operator: "rephrase", traceIds: [], hardNegativeIds: [] },
};
const stepScoring = (evaluation: Evaluation): StepScoring => ({
  scoreOf: (v) => (v === "child" ? { evaluation, reference: "incumbent" } : undefined),
  minibatch,
  base,
});

describe("keepTopKGuarded", () => {
  it("a tie with its parent never trips the local floor: the floor reads the local win rate against the initial prompt", async () => {
    const { ctx, asked } = contextFor({ ...NO_FLOORS, localValidityFloor: 0.6 }, scored(0.7));
    expect(await keepTopKGuarded(ctx, "a", [member("incumbent"), child], 1, stepScoring(scored(0.5)))).toBe(true);
    expect(ctx.state.best.a).toBe("child");
    expect(asked.map((r) => [r.candidate, r.reference])).toEqual([["child", "initial"]]);
    expect(ctx.state.guardEvents).toEqual([]);
  });

  it("a breach blocks the promotion, recorded where it happened, and the challenger stays a parent", async () => {
    const { ctx } = contextFor({ ...NO_FLOORS, localValidityFloor: 0.6 }, scored(0.55));
    expect(await keepTopKGuarded(ctx, "a", [member("incumbent"), child], 3, stepScoring(scored(0.5)))).toBe(false);
    expect(ctx.state.best.a).toBe("incumbent");
    expect(ctx.state.beams.a?.map((m) => m.version)).toEqual(["incumbent", "child"]);
    expect(ctx.state.guardEvents).toEqual([expect.objectContaining({ round: 3, agent: "a", guard: "localValidityFloor" })]);
    expect(ctx.state.candidates?.find((c) => c.version === "child")?.why).toContain("localValidityFloor");
  });

  it("checks finalMetricFloor on the graph the promotion would create, without another call", async () => {
    const { ctx, asked } = contextFor({ ...NO_FLOORS, finalMetricFloor: 0.6 }, scored(0.7));
    expect(await keepTopKGuarded(ctx, "a", [member("incumbent"), child], 2, stepScoring(scored(0.5, 0.5)))).toBe(false);
    expect(asked).toHaveLength(0);
    expect(ctx.state.guardEvents[0]?.detail).toMatch(/scoring 0\.500 on its minibatch < floor 0\.6/);
  });

  it("with no floor set asks for nothing and promotes as keepTopK does", async () => {
    const { ctx, asked } = contextFor(NO_FLOORS, scored(0.1));
    expect(await keepTopKGuarded(ctx, "a", [member("incumbent"), child], 1, stepScoring(scored(0.5, 0)))).toBe(true);
    expect(asked).toHaveLength(0);
  });
});

import { describe, expect, it } from "vitest";
import type { SweepPlan } from "./sweep-plan.js";
import { meanInterval, renderSweepHtml, renderSweepMarkdown, summarizeSweep, type SweepRunResult } from "./sweep-summary.js";

const plan = {
  name: "t",
  file: "/s.yaml",
  base: "/b.yaml",
  specDir: "/",
  maxParallel: undefined,
  runs: [],
  configurations: [
    { name: "k3", overrides: [{ path: "search.beamSize", value: 3 }] },
    { name: "k5", overrides: [{ path: "search.beamSize", value: 5 }] },
  ],
} satisfies SweepPlan;

const done = (configuration: string, seed: number, final: number, calls: number): SweepRunResult => ({
  label: `${configuration}/seed-${seed}`,
  configuration,
  seed,
  status: "done",
  report: `runs/${configuration}/seed-${seed}/report.md`,
  heldOut: { baseline: 0.3, final },
  cost: { calls, tokens: 10 * calls, usd: 0, cacheHits: 0, retries: 0, failedAttempts: 0, byRole: {}, byModel: [] },
  stopReason: "all rounds done",
});

describe("sweep summary", () => {
  it("gives a 95% t interval of the mean, clipped to the metric's [0, 1]", () => {
    const i = meanInterval([0.6, 0.7, 0.8]);
    expect(i?.mean).toBeCloseTo(0.7);
    expect(i?.low).toBeCloseTo(0.7 - 4.303 * (0.1 / Math.sqrt(3)));
    expect(meanInterval([0.2, 0.99])?.high).toBe(1);
    expect(meanInterval([0.5])).toEqual({ mean: 0.5, low: 0.5, high: 0.5 });
    expect(meanInterval([])).toBeNull();
  });

  it("summarises each configuration over its finished runs, and counts failed and pending runs", () => {
    const s = summarizeSweep(plan, [
      done("k3", 1, 0.6, 100),
      done("k3", 2, 0.8, 300),
      { label: "k5/seed-1", configuration: "k5", seed: 1, status: "failed", error: "E_X: boom" },
      { label: "k5/seed-2", configuration: "k5", seed: 2, status: "pending" },
    ]);
    expect(s.configurations[0]).toMatchObject({ name: "k3", runs: 2, done: 2, failed: 0, calls: 200 });
    expect(s.configurations[0]?.heldOut?.mean).toBeCloseTo(0.7);
    expect(s.configurations[1]).toMatchObject({ name: "k5", runs: 2, done: 0, failed: 1, heldOut: null });
    expect(s.totals).toMatchObject({ runs: 4, done: 2, failed: 1, pending: 1, calls: 400 });
    const md = renderSweepMarkdown(s);
    expect(md).toContain("| k3 | search.beamSize=3 | 2/2 | 70.0% |");
    expect(md).toContain("[report](runs/k3/seed-1/report.md)");
    expect(md).toContain("failed: E_X: boom");
    const html = renderSweepHtml(s);
    expect(html).toContain("<svg");
    expect(html).toContain("paid LLM calls per run");
    expect(html).toContain('href="runs/k3/seed-2/report.html"');
  });
});

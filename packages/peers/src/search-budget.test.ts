import { describe, expect, it } from "vitest";
import { SearchBudget, bestWithin } from "./search-budget.js";

describe("a peer's budget and anytime record", () => {
  it("records a new best-so-far with the spend at that moment, dropping repeats", () => {
    let calls = 0;
    const budget = new SearchBudget(100, () => ({ calls, tokens: calls * 10, cacheHits: 0 }));
    budget.record({ a: "x" });
    calls = 40;
    budget.record({ a: "x" });
    budget.record({ a: "y" });
    expect(budget.snapshots.map((s) => [s.calls, s.prompts.a])).toEqual([
      [0, "x"],
      [40, "y"],
    ]);
    expect(budget.exhausted()).toBe(false);
    calls = 100;
    expect(budget.exhausted()).toBe(true);
  });

  it("answers a budget with the last best-so-far reached within it", () => {
    const snapshots = [
      { calls: 0, tokens: 0, prompts: { a: "0" } },
      { calls: 900, tokens: 0, prompts: { a: "1" } },
      { calls: 2100, tokens: 0, prompts: { a: "2" } },
    ];
    expect(bestWithin(snapshots, 500).prompts.a).toBe("0");
    expect(bestWithin(snapshots, 2000).prompts.a).toBe("1");
    expect(bestWithin(snapshots, 2100).prompts.a).toBe("2");
  });
});

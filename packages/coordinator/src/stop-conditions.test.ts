import { describe, expect, it } from "vitest";
import { initialState } from "./optimize.js";
import type { OptimizeConfig } from "./optimize-config.js";
import { budgetRanOut, stopAtRoundEnd, stopBeforeStep, stopWhenPlanDone } from "./stop-conditions.js";

const stop: OptimizeConfig["stop"] = { targetMetric: null, patience: 3, deadlineAt: null, budgetUsd: null };
const state = () => initialState({ initialPrompts: { a: "A" } } as Pick<OptimizeConfig, "initialPrompts"> as OptimizeConfig);
const spent = (usd: number) => {
  const workers = { calls: 0, usage: () => (workers.calls++, { calls: 0, tokens: 0, usd, cacheHits: 0, retries: 0, failedAttempts: 0 }) };
  return workers;
};

describe("stopBeforeStep", () => {
  it("stops at the deadline, before looking at the budget", () => {
    const s = state();
    stopBeforeStep({ ...stop, deadlineAt: 100, budgetUsd: 1 }, s, spent(5), () => 100);
    expect(s.stopReason).toBe("deadline reached");
  });

  it("stops once the budget is spent", () => {
    const s = state();
    stopBeforeStep({ ...stop, deadlineAt: 100, budgetUsd: 1 }, s, spent(1), () => 99);
    expect(s.stopReason).toBe("budget of $1 spent");
  });

  it("keeps the first stop reason and reads no spend once the run has stopped", () => {
    const s = { ...state(), stopReason: "no global improvement for 3 rounds" };
    const workers = spent(5);
    stopBeforeStep({ ...stop, budgetUsd: 1 }, s, workers, () => 0);
    expect(s.stopReason).toBe("no global improvement for 3 rounds");
    expect(workers.calls).toBe(0);
  });

  it("does not read the clock when no deadline is set", () => {
    const s = state();
    stopBeforeStep(stop, s, spent(0), () => {
      throw new Error("clock read");
    });
    expect(s.stopReason).toBeNull();
  });
});

describe("budgetRanOut", () => {
  it("after a step the budget ran out in, puts the state back as before the step and stops as a budget stop", async () => {
    const before = state();
    const s = { ...structuredClone(before), nextStep: 7, bestRound: 2 };
    let refreshed = 0;
    const workers = { ...spent(1.2), refreshUsage: () => (refreshed++, Promise.resolve()) };
    expect(await budgetRanOut({ ...stop, budgetUsd: 1 }, s, workers, before)).toBe(true);
    expect(refreshed).toBe(1);
    expect(s).toEqual({ ...before, stopReason: "budget of $1 spent" });
  });

  it("stops on a token budget too, USD first when both are spent", async () => {
    const usage = { calls: 0, tokens: 500, usd: 2, cacheHits: 0, retries: 0, failedAttempts: 0 };
    const tokensOnly = state();
    await budgetRanOut({ ...stop, budgetTokens: 500 }, tokensOnly, { usage: () => usage }, state());
    expect(tokensOnly.stopReason).toBe("budget of 500 tokens spent");
    const both = state();
    await budgetRanOut({ ...stop, budgetUsd: 1, budgetTokens: 500 }, both, { usage: () => usage }, state());
    expect(both.stopReason).toBe("budget of $1 spent");
    const before = state();
    stopBeforeStep({ ...stop, budgetTokens: 400 }, before, { usage: () => usage }, () => 0);
    expect(before.stopReason).toBe("budget of 400 tokens spent");
  });

  it("leaves a step under budget, or a run without a budget, as it is", async () => {
    const s = { ...state(), nextStep: 7 };
    expect(await budgetRanOut({ ...stop, budgetUsd: 1 }, s, spent(0.99), state())).toBe(false);
    expect(await budgetRanOut(stop, s, spent(5), state())).toBe(false);
    expect(s.nextStep).toBe(7);
    expect(s.stopReason).toBeNull();
  });
});

describe("stopAtRoundEnd", () => {
  it("stops when the round's train metric reaches the target", () => {
    const s = state();
    stopAtRoundEnd({ ...stop, targetMetric: 0.8 }, s, 0.8);
    expect(s.stopReason).toBe("target metric 0.8 reached (train 0.800)");
  });

  it("stops after patience rounds without global improvement, and not before", () => {
    const s = { ...state(), roundsWithoutImprovement: 2 };
    stopAtRoundEnd(stop, s, 0.1);
    expect(s.stopReason).toBeNull();
    s.roundsWithoutImprovement = 3;
    stopAtRoundEnd(stop, s, 0.1);
    expect(s.stopReason).toBe("no global improvement for 3 rounds");
  });
});

describe("stopWhenPlanDone", () => {
  it("says all rounds were done only when nothing stopped the run earlier", () => {
    const s = state();
    stopWhenPlanDone(s);
    expect(s.stopReason).toBe("all rounds done");
    const early = { ...state(), stopReason: "deadline reached" };
    stopWhenPlanDone(early);
    expect(early.stopReason).toBe("deadline reached");
  });
});

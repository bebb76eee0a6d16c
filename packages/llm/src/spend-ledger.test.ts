import { describe, expect, it } from "vitest";
import {
  BudgetSpentError,
  MemorySpendLedger,
  emptyLedger,
  settleIn,
  spentTokens,
  spentUsd,
  tryReserve,
  worstCaseCost,
  type LedgerState,
} from "./spend-ledger.js";

const who = { endpointId: "gpt", model: "m", role: "serving" as const };
const signal = () => new AbortController().signal;

describe("worstCaseCost", () => {
  it("counts every prompt byte a token (plus a per-message overhead) and the max tokens, at the endpoint's prices", () => {
    const cost = worstCaseCost({ inputPerMTok: 2, outputPerMTok: 10 }, [{ content: "héllo" }], 100);
    // "héllo" is 6 UTF-8 bytes, + 8 overhead = 14 prompt tokens.
    expect(cost.tokens).toBe(114);
    expect(cost.usd).toBeCloseTo((14 * 2 + 100 * 10) / 1e6, 15);
  });
});

describe("tryReserve and settleIn", () => {
  it("admits while spent + reserved is under the budget, waits beyond it, refuses once spent reaches it", () => {
    let state = emptyLedger({ budgetUsd: 1 });
    const r = tryReserve(state, "a", { usd: 0.8, tokens: 1 }, 0, 1_000);
    expect(r.kind).toBe("admitted");
    if (r.kind !== "admitted") return;
    state = r.next;
    expect(tryReserve(state, "b", { usd: 0.8, tokens: 1 }, 0, 1_000).kind).toBe("admitted");
    state = settleIn(state, "a", who, { ok: true, promptTokens: 1, completionTokens: 1, costUsd: 0.5 });
    const b = tryReserve(state, "b", { usd: 0.8, tokens: 1 }, 0, 1_000);
    if (b.kind !== "admitted") throw new Error("b not admitted");
    // 0.5 spent + 0.8 reserved ≥ 1: the next waits for b.
    expect(tryReserve(b.next, "c", { usd: 0.1, tokens: 1 }, 0, 1_000).kind).toBe("wait");
    state = settleIn(b.next, "b", who, { ok: true, promptTokens: 1, completionTokens: 1, costUsd: 0.6 });
    expect(spentUsd(state)).toBeCloseTo(1.1, 12);
    expect(tryReserve(state, "c", { usd: 0.1, tokens: 1 }, 0, 1_000)).toEqual({ kind: "refused", unit: "usd", spent: 1.1, budget: 1 });
    expect(tryReserve({ ...state, enforced: false }, "c", { usd: 0.1, tokens: 1 }, 0, 1_000).kind).toBe("admitted");
  });

  it("drops a reservation whose expiry passed (its holder died), but still counts its attempt if it is settled late", () => {
    const r = tryReserve(emptyLedger({ budgetUsd: 1 }), "dead", { usd: 1, tokens: 1 }, 0, 1_000);
    if (r.kind !== "admitted") throw new Error("refused");
    expect(tryReserve(r.next, "x", { usd: 0.1, tokens: 1 }, 999, 1_000).kind).toBe("wait");
    const later = tryReserve(r.next, "x", { usd: 0.1, tokens: 1 }, 1_001, 1_000);
    expect(later.kind).toBe("admitted");
    if (later.kind !== "admitted") return;
    expect(Object.keys(later.next.reservations)).toEqual(["x"]);
    const settled = settleIn(later.next, "dead", who, { ok: true, promptTokens: 3, completionTokens: 4, costUsd: 0.2 });
    expect(settled.rows).toEqual([
      { ...who, calls: 1, failedAttempts: 0, retries: 0, promptTokens: 3, completionTokens: 4, costUsd: 0.2, cacheHits: 0 },
    ]);
  });

  it("holds a token budget the same way, whichever budget is spent first refusing", () => {
    let state = emptyLedger({ budgetUsd: 100, budgetTokens: 50 });
    const a = tryReserve(state, "a", { usd: 0.1, tokens: 50 }, 0, 1_000);
    if (a.kind !== "admitted") throw new Error("a refused");
    // 50 tokens reserved of 50: the next waits, though the USD budget is far from spent.
    expect(tryReserve(a.next, "b", { usd: 0.1, tokens: 40 }, 0, 1_000).kind).toBe("wait");
    state = settleIn(a.next, "a", who, { ok: true, promptTokens: 30, completionTokens: 25, costUsd: 0.01 });
    expect(spentTokens(state)).toBe(55);
    expect(tryReserve(state, "b", { usd: 0.1, tokens: 40 }, 0, 1_000)).toEqual({ kind: "refused", unit: "tokens", spent: 55, budget: 50 });
    expect(new BudgetSpentError(who, { kind: "refused", unit: "tokens", spent: 55, budget: 50 }).message).toContain(
      "the run's budget of 50 tokens is spent (55 served)",
    );
  });

  it("holds a round's token cap like a token budget: waits at its ceiling, refuses once served tokens reach it (E_LLM_ROUND_CAP)", () => {
    const roundCap = { round: 2, capTokens: 100, ceilingTokens: 60 };
    let state: LedgerState = { ...emptyLedger({ budgetUsd: null, tokensPerRoundMax: 100 }), roundCap };
    state = settleIn(state, "earlier", who, { ok: true, promptTokens: 20, completionTokens: 20, costUsd: 0 });
    const a = tryReserve(state, "a", { usd: 0, tokens: 30 }, 0, 1_000);
    if (a.kind !== "admitted") throw new Error("a not admitted");
    // 40 served + 30 reserved ≥ the ceiling of 60: the next waits for a.
    expect(tryReserve(a.next, "b", { usd: 0, tokens: 5 }, 0, 1_000).kind).toBe("wait");
    state = settleIn(a.next, "a", who, { ok: true, promptTokens: 15, completionTokens: 10, costUsd: 0 });
    const refused = tryReserve(state, "b", { usd: 0, tokens: 5 }, 0, 1_000);
    expect(refused).toEqual({ kind: "refused", unit: "round-tokens", spent: 65, budget: 60, roundCap });
    if (refused.kind !== "refused") return;
    const err = new BudgetSpentError(who, refused);
    expect(err.code).toBe("E_LLM_ROUND_CAP");
    expect(err.details.retryable).toBe(false);
    expect(err.message).toContain("round 2 reached its token ceiling under guards.tokensPerRoundMax 100");
    // Lifted (the round end's measure, the finish): admitted again, and counted.
    expect(tryReserve({ ...state, roundCap: null }, "b", { usd: 0, tokens: 5 }, 0, 1_000).kind).toBe("admitted");
    expect(tryReserve({ ...state, enforced: false }, "b", { usd: 0, tokens: 5 }, 0, 1_000).kind).toBe("admitted");
  });

  it("refuses for the run's budget first when both it and the round's cap are spent: the run stops rather than the round", () => {
    let state: LedgerState = {
      ...emptyLedger({ budgetUsd: null, budgetTokens: 10, tokensPerRoundMax: 5 }),
      roundCap: { round: 1, capTokens: 5, ceilingTokens: 5 },
    };
    state = settleIn(state, "a", who, { ok: true, promptTokens: 6, completionTokens: 6, costUsd: 0 });
    expect(tryReserve(state, "b", { usd: 0, tokens: 1 }, 0, 1_000)).toMatchObject({ kind: "refused", unit: "tokens", budget: 10 });
  });

  it("counts a failed attempt, and a retry when the call goes on, at no cost", () => {
    let state = emptyLedger({ budgetUsd: null });
    state = settleIn(state, "a", who, { ok: false, retried: true });
    state = settleIn(state, "b", who, { ok: false, retried: false });
    expect(state.rows[0]).toMatchObject({ calls: 0, failedAttempts: 2, retries: 1, costUsd: 0 });
  });

  it("goes on from a resumed run's use, its cache hits left out (they served nothing)", () => {
    const carried = {
      rows: [{ ...who, calls: 3, failedAttempts: 1, retries: 1, promptTokens: 9, completionTokens: 9, costUsd: 0.3, cacheHits: 5 }],
    };
    const state = emptyLedger({ budgetUsd: 1 }, carried);
    expect(spentUsd(state)).toBeCloseTo(0.3, 12);
    expect(state.rows[0]?.cacheHits).toBe(0);
  });
});

/** 20 attempts at once, each reserving `worst` and settling `served` again and again until refused: their refusals. */
async function attemptsUntilRefused(
  ledger: MemorySpendLedger,
  worst: { usd: number; tokens: number },
  served: { promptTokens: number; completionTokens: number; costUsd: number },
): Promise<unknown[]> {
  const refusals: unknown[] = [];
  const attempt = async (): Promise<void> => {
    for (;;) {
      let reservation;
      try {
        reservation = await ledger.reserve(who, worst, 60_000, signal());
      } catch (err) {
        refusals.push(err);
        return;
      }
      await new Promise((r) => setImmediate(r));
      await reservation.settle({ ok: true, ...served });
    }
  };
  await Promise.all(Array.from({ length: 20 }, attempt));
  return refusals;
}

describe("MemorySpendLedger", () => {
  it("with 20 attempts at once, passes the budget by at most one attempt's worst case, then refuses with E_LLM_BUDGET", async () => {
    const ledger = new MemorySpendLedger({ budgetUsd: 1 });
    const worst = { usd: 0.3, tokens: 10 };
    // Each attempt costs less than its worst case, as answers do.
    const refusals = await attemptsUntilRefused(ledger, worst, { promptTokens: 1, completionTokens: 1, costUsd: 0.17 });
    for (const err of refusals) {
      expect(err).toBeInstanceOf(BudgetSpentError);
      expect((err as BudgetSpentError).code).toBe("E_LLM_BUDGET");
      expect((err as BudgetSpentError).details.retryable).toBe(false);
    }
    const spent = ledger.snapshot().rows.reduce((n, r) => n + r.costUsd, 0);
    expect(spent).toBeGreaterThanOrEqual(1);
    expect(spent).toBeLessThanOrEqual(1 + worst.usd);
    expect(refusals).toHaveLength(20);
  });

  it("with 20 attempts at once under a round cap, passes its ceiling by at most one attempt's worst case, then refuses with E_LLM_ROUND_CAP", async () => {
    const ledger = new MemorySpendLedger({ budgetUsd: null, tokensPerRoundMax: 1_000 });
    await ledger.capRound({ round: 1, capTokens: 1_000, ceilingTokens: 1_000 });
    const worst = { usd: 0, tokens: 300 };
    const refusals = await attemptsUntilRefused(ledger, worst, { promptTokens: 100, completionTokens: 70, costUsd: 0 });
    const spent = ledger.snapshot().rows.reduce((n, r) => n + r.promptTokens + r.completionTokens, 0);
    expect(spent).toBeGreaterThanOrEqual(1_000);
    expect(spent).toBeLessThanOrEqual(1_000 + worst.tokens);
    expect(new Set(refusals.map((e) => (e as BudgetSpentError).code))).toEqual(new Set(["E_LLM_ROUND_CAP"]));
  });

  it("wakes an attempt waiting at a round's ceiling once the cap is lifted", async () => {
    const ledger = new MemorySpendLedger({ budgetUsd: null, tokensPerRoundMax: 10 });
    await ledger.capRound({ round: 1, capTokens: 10, ceilingTokens: 10 });
    await ledger.reserve(who, { usd: 0, tokens: 10 }, 60_000, signal());
    let admitted = false;
    const waiting = ledger.reserve(who, { usd: 0, tokens: 1 }, 60_000, signal()).then(() => (admitted = true));
    await new Promise((r) => setImmediate(r));
    expect(admitted).toBe(false);
    await ledger.capRound(null);
    await waiting;
    expect(admitted).toBe(true);
  });

  it("admits everything while its budget is lifted (the held-out measurement), and counts it", async () => {
    const ledger = new MemorySpendLedger({ budgetUsd: 0.1 });
    const first = await ledger.reserve(who, { usd: 1, tokens: 1 }, 1_000, signal());
    await first.settle({ ok: true, promptTokens: 1, completionTokens: 1, costUsd: 1 });
    await expect(ledger.reserve(who, { usd: 1, tokens: 1 }, 1_000, signal())).rejects.toThrow("budget of $0.1 is spent");
    await ledger.enforce(false);
    const second = await ledger.reserve(who, { usd: 1, tokens: 1 }, 1_000, signal());
    await second.settle({ ok: true, promptTokens: 1, completionTokens: 1, costUsd: 1 });
    expect(ledger.snapshot().rows[0]?.calls).toBe(2);
  });

  it("gives up waiting for budget when its signal aborts", async () => {
    const ledger = new MemorySpendLedger({ budgetUsd: 1 });
    await ledger.reserve(who, { usd: 2, tokens: 1 }, 60_000, signal());
    const controller = new AbortController();
    const waiting = ledger.reserve(who, { usd: 0.1, tokens: 1 }, 60_000, controller.signal);
    controller.abort(new Error("task stopped"));
    await expect(waiting).rejects.toThrow("task stopped");
  });
});

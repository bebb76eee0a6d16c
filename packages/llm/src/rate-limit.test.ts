import { describe, expect, it } from "vitest";
import { MemoryRateLimiter, RATE_WINDOW, admit, correctTokens, rateLimitKey, type RateWindow } from "./rate-limit.js";

const WINDOW_MS = RATE_WINDOW.slotMs * RATE_WINDOW.slots;

/** A limiter on a simulated clock: a sleep advances the clock by its wait, so waits are exact and instant. */
function simulated(start = 1_000_000) {
  let now = start;
  const grants: number[] = [];
  const limiter = new MemoryRateLimiter({
    now: () => now,
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
  });
  return {
    limiter,
    grants,
    now: () => now,
    advance: (ms: number) => (now += ms),
    async take(n: number, limits: { rpm?: number; tpm?: number }, tokens = 1) {
      for (let i = 0; i < n; i++) {
        await limiter.acquire("k", limits, tokens, new AbortController().signal);
        grants.push(now);
      }
    },
  };
}

/** The most grants inside any interval of `spanMs`. */
function busiest(times: readonly number[], spanMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] as number) - (times[j] as number) >= spanMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe("admit", () => {
  it("admits up to rpm requests in a window, then says how long until the oldest slot leaves it", () => {
    let window: RateWindow = { slots: [] };
    const t0 = 10 * RATE_WINDOW.slotMs + 1_000;
    for (let i = 0; i < 3; i++) {
      const a = admit(window, { rpm: 3 }, 0, t0);
      expect(a.ok).toBe(true);
      if (a.ok) window = a.next;
    }
    const refused = admit(window, { rpm: 3 }, 0, t0);
    expect(refused).toEqual({ ok: false, waitMs: (10 + RATE_WINDOW.slots + 1) * RATE_WINDOW.slotMs - t0 });
    expect(admit(window, { rpm: 3 }, 0, t0 + (refused.ok ? 0 : refused.waitMs)).ok).toBe(true);
  });

  it("counts tokens against tpm, admitting a request larger than tpm only into an empty window", () => {
    const big = admit({ slots: [] }, { tpm: 100 }, 500, 0);
    expect(big.ok).toBe(true);
    if (!big.ok) return;
    expect(admit(big.next, { tpm: 100 }, 1, 1).ok).toBe(false);
    const small = admit({ slots: [] }, { tpm: 100 }, 60, 0);
    if (!small.ok) throw new Error("refused");
    expect(admit(small.next, { tpm: 100 }, 40, 1).ok).toBe(true);
    expect(admit(small.next, { tpm: 100 }, 41, 1).ok).toBe(false);
  });

  it("corrects a grant's tokens by its actual use, never below zero", () => {
    const a = admit({ slots: [] }, { tpm: 100 }, 60, 0);
    if (!a.ok) throw new Error("refused");
    expect(correctTokens(a.next, a.slot, 25, 1).slots[0]?.tokens).toBe(85);
    expect(correctTokens(a.next, a.slot, -100, 1).slots[0]?.tokens).toBe(0);
  });
});

describe("MemoryRateLimiter", () => {
  it("never grants more than rpm requests in any 65 s (so in any 60 s at the server), however many ask at once", async () => {
    const sim = simulated();
    await sim.take(500, { rpm: 37 });
    expect(busiest(sim.grants, WINDOW_MS)).toBeLessThanOrEqual(37);
    expect(busiest(sim.grants, 60_000)).toBeLessThanOrEqual(37);
    // It is a limit, not a stall: the 500 grants took about 500/37 windows.
    expect(sim.now() - 1_000_000).toBeLessThan((500 / 37 + 2) * WINDOW_MS);
  });

  it("never grants more than tpm tokens in any window once each grant is settled with its use", async () => {
    const sim = simulated();
    const used: { at: number; tokens: number }[] = [];
    for (let i = 0; i < 200; i++) {
      const grant = await sim.limiter.acquire("k", { tpm: 1_000 }, 100, new AbortController().signal);
      // The answer used less than estimated: the window is corrected, so more fit.
      await grant.settle(70);
      used.push({ at: sim.now(), tokens: 70 });
    }
    for (const u of used) {
      const inWindow = used.filter((v) => v.at >= u.at && v.at - u.at < WINDOW_MS).reduce((n, v) => n + v.tokens, 0);
      expect(inWindow).toBeLessThanOrEqual(1_000);
    }
    // The corrections let 13 in at once ((1000 - 100) / 70 + 1), where the estimates alone would let 10.
    expect(used.filter((u) => u.at - 1_000_000 < RATE_WINDOW.slotMs)).toHaveLength(13);
  });

  it("keeps separate limits per key", async () => {
    const sim = simulated();
    for (const key of ["a", "b"]) for (let i = 0; i < 2; i++) await sim.limiter.acquire(key, { rpm: 2 }, 0, new AbortController().signal);
    expect(sim.now()).toBe(1_000_000);
  });

  it("gives up a wait when its signal aborts", async () => {
    const limiter = new MemoryRateLimiter();
    const controller = new AbortController();
    await limiter.acquire("k", { rpm: 1 }, 0, controller.signal);
    const waiting = limiter.acquire("k", { rpm: 1 }, 0, controller.signal);
    controller.abort(new Error("caller left"));
    await expect(waiting).rejects.toThrow("caller left");
  });
});

describe("rateLimitKey", () => {
  it("names server, model and key variable, never credentials in the URL", () => {
    const base = { baseURL: "https://api.example.com/v1/", model: "m", apiKeyEnv: "KEY_A" };
    expect(rateLimitKey(base)).toBe(rateLimitKey({ ...base, baseURL: "https://api.example.com/v1" }));
    expect(rateLimitKey(base)).toBe(rateLimitKey({ ...base, baseURL: "https://user:secret@api.example.com/v1" }));
    expect(rateLimitKey(base)).not.toBe(rateLimitKey({ ...base, model: "n" }));
    expect(rateLimitKey(base)).not.toBe(rateLimitKey({ ...base, apiKeyEnv: "KEY_B" }));
    expect(rateLimitKey(base)).toMatch(/^[0-9a-f]{32}$/);
  });
});

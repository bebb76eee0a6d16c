/**
 * The cluster's spend ledger and rate limiter on a real nats-server, each process its own
 * connection: two processes reserving against one budget pass it by at most one attempt's worst
 * case, and a worker is held to the round token cap its coordinator sets; a fresh run starts its ledger empty, a resumed one keeps it; two processes taking grants
 * from one window never exceed its rpm in any 65 s.
 */
import { KvRateLimiter, KvSpendLedger, connectNats, type NatsSession } from "@maspo/cluster";
import { BudgetSpentError, RATE_WINDOW, rateLimitKey } from "@maspo/llm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "./helpers/nats-server.js";

let server: NatsServer;
const sessions: NatsSession[] = [];
const who = { endpointId: "gpt", model: "m", role: "serving" as const };

beforeAll(async () => {
  server = await startNatsServer();
}, 30_000);

afterAll(async () => {
  await Promise.all(sessions.map((s) => s.nc.close()));
  await server?.dispose();
});

async function connect(): Promise<NatsSession> {
  const session = await connectNats({ servers: server.url });
  sessions.push(session);
  return session;
}

describe("KvSpendLedger", () => {
  it("keeps two processes on one budget: the spend passes it by at most one attempt's worst case, then every attempt is refused", async () => {
    const [a, b] = [await connect(), await connect()];
    const coordinator = await KvSpendLedger.open(a.nc, "budget-two", { budgetUsd: 1, mode: "fresh" });
    const worker = await KvSpendLedger.open(b.nc, "budget-two", { budgetUsd: 1, mode: "join" });
    const worst = { usd: 0.3, tokens: 10 };
    let refused = 0;
    const attempts = async (ledger: KvSpendLedger): Promise<void> => {
      for (;;) {
        let reservation;
        try {
          reservation = await ledger.reserve(who, worst, 60_000, new AbortController().signal);
        } catch (err) {
          expect(err).toBeInstanceOf(BudgetSpentError);
          refused++;
          return;
        }
        await reservation.settle({ ok: true, promptTokens: 1, completionTokens: 1, costUsd: 0.17 });
      }
    };
    await Promise.all([...Array.from({ length: 6 }, () => attempts(coordinator)), ...Array.from({ length: 6 }, () => attempts(worker))]);
    expect(refused).toBe(12);
    await coordinator.refresh();
    const spent = coordinator.snapshot().rows.reduce((n, r) => n + r.costUsd, 0);
    expect(spent).toBeGreaterThanOrEqual(1);
    expect(spent).toBeLessThanOrEqual(1 + worst.usd);
    // Lifted (the held-out measurement), an attempt goes through and is counted like any other.
    await coordinator.enforce(false);
    const after = await worker.reserve(who, worst, 60_000, new AbortController().signal);
    await after.settle({ ok: true, promptTokens: 1, completionTokens: 1, costUsd: 0.17 });
    await coordinator.refresh();
    expect(coordinator.snapshot().rows[0]?.costUsd).toBeCloseTo(spent + 0.17, 12);
  });

  it("holds a worker to the round cap its coordinator sets (no budget): past the ceiling by at most one attempt's worst case, then E_LLM_ROUND_CAP; lifted, admitted", async () => {
    const [a, b] = [await connect(), await connect()];
    const options = { budgetUsd: null, tokensPerRoundMax: 500 };
    const coordinator = await KvSpendLedger.open(a.nc, "round-cap", { ...options, mode: "fresh" });
    const worker = await KvSpendLedger.open(b.nc, "round-cap", { ...options, mode: "join" });
    await coordinator.capRound({ round: 1, capTokens: 500, ceilingTokens: 400 });
    const worst = { usd: 0, tokens: 50 };
    const codes: string[] = [];
    const attempts = async (): Promise<void> => {
      for (;;) {
        let reservation;
        try {
          reservation = await worker.reserve(who, worst, 60_000, new AbortController().signal);
        } catch (err) {
          expect(err).toBeInstanceOf(BudgetSpentError);
          codes.push((err as BudgetSpentError).code);
          return;
        }
        await reservation.settle({ ok: true, promptTokens: 20, completionTokens: 10, costUsd: 0 });
      }
    };
    await Promise.all(Array.from({ length: 6 }, attempts));
    expect(codes).toEqual(Array.from({ length: 6 }, () => "E_LLM_ROUND_CAP"));
    await coordinator.refresh();
    const spent = (): number => coordinator.snapshot().rows.reduce((n, r) => n + r.promptTokens + r.completionTokens, 0);
    expect(spent()).toBeGreaterThanOrEqual(400);
    expect(spent()).toBeLessThanOrEqual(400 + worst.tokens);
    // The round end's measure: the cap lifted, the worker's attempt goes through and is counted.
    const before = spent();
    await coordinator.capRound(null);
    const after = await worker.reserve(who, worst, 60_000, new AbortController().signal);
    await after.settle({ ok: true, promptTokens: 20, completionTokens: 10, costUsd: 0 });
    await coordinator.refresh();
    expect(spent()).toBe(before + 30);
  });

  it("starts a new run's ledger empty, keeps a resumed run's, and is gone once removed", async () => {
    const { nc } = await connect();
    const first = await KvSpendLedger.open(nc, "ledger-life", { budgetUsd: null, mode: "fresh" });
    const r = await first.reserve(who, { usd: 1, tokens: 1 }, 60_000, new AbortController().signal);
    await r.settle({ ok: true, promptTokens: 3, completionTokens: 4, costUsd: 0.5 });
    const resumed = await KvSpendLedger.open(nc, "ledger-life", { budgetUsd: null, mode: "resume" });
    expect(resumed.snapshot().rows.map((row) => row.calls)).toEqual([1]);
    const fresh = await KvSpendLedger.open(nc, "ledger-life", { budgetUsd: null, mode: "fresh" });
    expect(fresh.snapshot().rows).toEqual([]);
    await KvSpendLedger.remove(nc, "ledger-life");
    const carried = {
      rows: [{ ...who, calls: 2, failedAttempts: 0, retries: 0, promptTokens: 1, completionTokens: 1, costUsd: 0.2, cacheHits: 3 }],
    };
    const again = await KvSpendLedger.open(nc, "ledger-life", { budgetUsd: null, mode: "resume", carried });
    expect(again.snapshot().rows).toEqual([{ ...carried.rows[0], cacheHits: 0 }]);
  });
});

describe("KvSpendLedger through a nats-server restart", () => {
  it("settles a call made while the server is down once it is back, counting it once, and reads on (the coordinator does not fail)", async () => {
    const own = await startNatsServer();
    const session = await connectNats({ servers: own.url });
    try {
      const ledger = await KvSpendLedger.open(session.nc, "ledger-outage", { budgetUsd: 10, mode: "fresh" });
      const first = await ledger.reserve(who, { usd: 0.1, tokens: 10 }, 60_000, new AbortController().signal);
      await first.settle({ ok: true, promptTokens: 1, completionTokens: 1, costUsd: 0.1 });
      await own.kill();
      // Asked while the server is gone: it must wait for it, not fail.
      const during = (async () => {
        const r = await ledger.reserve(who, { usd: 0.1, tokens: 10 }, 60_000, new AbortController().signal);
        await r.settle({ ok: true, promptTokens: 1, completionTokens: 1, costUsd: 0.1 });
      })();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await own.restart();
      await during;
      await ledger.refresh();
      expect(ledger.snapshot().rows.map((r) => r.calls)).toEqual([2]);
      expect(ledger.snapshot().rows[0]?.costUsd).toBeCloseTo(0.2, 12);
    } finally {
      await session.nc.close();
      await own.dispose();
    }
  }, 60_000);
});

describe("KvRateLimiter", () => {
  it("gives two processes sharing one endpoint no more than rpm grants in any 65 s between them", async () => {
    let now = 5_000_000;
    const waits: Promise<void>[] = [];
    // One simulated clock for both: a wait moves it on, so windows pass at once.
    const sleep = (ms: number) => {
      now += ms;
      const done = Promise.resolve();
      waits.push(done);
      return done;
    };
    const [a, b] = [await connect(), await connect()];
    const limiters = [await KvRateLimiter.open(a.nc, { now: () => now, sleep }), await KvRateLimiter.open(b.nc, { now: () => now, sleep })];
    const key = rateLimitKey({ baseURL: "https://llm.test/v1", model: "fleet-test", apiKeyEnv: "K" });
    const grants: number[] = [];
    await Promise.all(
      limiters.map(async (limiter) => {
        for (let i = 0; i < 30; i++) {
          await limiter.acquire(key, { rpm: 7 }, 0, new AbortController().signal);
          grants.push(now);
        }
      }),
    );
    grants.sort((x, y) => x - y);
    const window = RATE_WINDOW.slotMs * RATE_WINDOW.slots;
    for (let i = 0; i < grants.length; i++) {
      const inWindow = grants.filter((t) => t >= (grants[i] as number) && t - (grants[i] as number) < window).length;
      expect(inWindow).toBeLessThanOrEqual(7);
    }
    expect(waits.length).toBeGreaterThan(0);
  });
});

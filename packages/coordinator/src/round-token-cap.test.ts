import { Rng, type EngineWorkers, type RoundTokenCap } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { optimize } from "./optimize.js";
import type { RunState } from "./run-state.js";
import { config, toyWorkers, train } from "./toy-world.fixture.js";

/** Every toy LLM call is served this many tokens (the toy traces' usage per step: 1 + 1)... */
const COST = 2;
/** ...and reserves this many first, its worst case. */
const WORST = 5;
/** The round end's measure of a labelled run: every train example through the 3-agent chain. */
const MEASURE = train.length * 3 * COST;

/**
 * The toy workers behind a spend ledger that keeps the ledger's contract (@maspo/llm spend-ledger.ts):
 * each call reserves its worst case, is admitted while served + reserved tokens stay below the round's
 * ceiling, waits beyond it, and is refused (E_LLM_ROUND_CAP) once served tokens reach it. `order`
 * decides how calls interleave: "serial" serves one at a time in the order asked (one worker), a seed
 * lets each call take a random number of turns (many workers, answering in any order).
 */
function ledgeredWorkers(order: "serial" | number) {
  const inner = toyWorkers();
  const rng = new Rng(order === "serial" ? 0 : order);
  let served = 0;
  let reserved = 0;
  let calls = 0;
  let refused = 0;
  let cap: RoundTokenCap | null = null;
  const capsSet: (RoundTokenCap | null)[] = [];
  const waiting = new Set<() => void>();
  let serial = Promise.resolve();
  let requests = 0;
  const wake = (): void => {
    for (const w of [...waiting]) {
      waiting.delete(w);
      w();
    }
  };
  const turns = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
  };
  const call = async (): Promise<void> => {
    for (;;) {
      if (cap && served >= cap.ceilingTokens) {
        refused++;
        throw Object.assign(new Error(`round ${cap.round} reached its token ceiling`), { code: "E_LLM_ROUND_CAP" });
      }
      if (!cap || served + reserved < cap.ceilingTokens) break;
      await new Promise<void>((r) => waiting.add(r));
    }
    reserved += WORST;
    await turns(order === "serial" ? 0 : rng.int(4));
    reserved -= WORST;
    served += COST;
    calls++;
    wake();
  };
  const calling = async (n: number, concurrent: boolean): Promise<void> => {
    if (order === "serial") {
      const mine = serial.then(async () => {
        for (let i = 0; i < n; i++) await call();
      });
      serial = mine.catch(() => undefined);
      return mine;
    }
    if (concurrent) await Promise.all(Array.from({ length: n }, call));
    else for (let i = 0; i < n; i++) await call();
  };
  const request = async <T>(n: number, concurrent: boolean, answer: () => Promise<T>): Promise<T> => {
    requests++;
    try {
      await calling(n, concurrent);
      return await answer();
    } finally {
      requests--;
    }
  };
  const workers: EngineWorkers & { refused: () => number; capsSet: (RoundTokenCap | null)[]; served: () => number } = {
    // A graph run is one call per agent, in chain order; an evaluation two judge calls per example, at once.
    runGraph: (req) => request(3, false, () => inner.runGraph(req)),
    evaluate: (req) => request(2 * req.minibatch.length, true, () => inner.evaluate(req)),
    mutate: (req) => request(1, false, () => inner.mutate(req)),
    compareFinals: (req) => request(1, false, () => inner.compareFinals(req)),
    usage: () => ({ calls, tokens: served, usd: 0, cacheHits: 0, retries: 0, failedAttempts: 0 }),
    capRoundTokens: async (c) => {
      capsSet.push(c);
      cap = c;
      wake();
    },
    idle: async () => {
      while (requests > 0) await turns(1);
    },
    refused: () => refused,
    served: () => served,
    capsSet,
  };
  return workers;
}

const capped = (tokensPerRoundMax: number, extra: Parameters<typeof config>[0] = {}) =>
  config({
    guards: { finalMetricFloor: null, localValidityFloor: null, tokensPerRoundMax },
    search: { ...config().search, rounds: 3 },
    ...extra,
  });

/** What a run decided: the same spec and seed must decide the same whatever order calls were served in. */
function decisions(state: RunState) {
  return {
    prompts: state.prompts,
    bestPrompts: state.bestPrompts,
    trajectory: state.trajectory,
    guardEvents: state.guardEvents,
    candidates: state.candidates,
    trainMetrics: state.rounds.map((r) => r.trainMetric),
  };
}

describe("guards.tokensPerRoundMax, enforced with reservations", () => {
  it("a round never spends more than its cap plus one call's worst case in flight, its round end's train-pool measure counted in it", async () => {
    const workers = ledgeredWorkers(1);
    const { state } = await optimize(capped(250), workers);
    expect(state.rounds).toHaveLength(3);
    for (const r of state.rounds) {
      expect(r.tokenCap).toBeDefined();
      const tc = r.tokenCap as NonNullable<typeof r.tokenCap>;
      // The measure ran the whole graph on every train example and is in the round's tokens.
      expect(tc.measure).toBe(MEASURE);
      expect(tc.reserved).toBe(MEASURE);
      expect(tc.spent).toBeGreaterThanOrEqual(tc.measure);
      expect(tc.spent).toBeLessThan(tc.cap + WORST);
    }
    // The cap bound: some step ran into it and calls were refused.
    expect(workers.refused()).toBeGreaterThan(0);
  });

  it("drops the step a call was refused in, names it in a guard event, skips the round's remaining steps, and goes on with the next round", async () => {
    const { state } = await optimize(capped(250), ledgeredWorkers(2));
    const dropped = state.guardEvents.filter((g) => g.guard === "tokensPerRoundMax");
    expect(dropped.map((g) => g.round)).toEqual([1, 2, 3]);
    for (const g of dropped) {
      expect(g.detail).toMatch(/^epoch 1 round \d (a|b|c) dropped: the round reached its token ceiling during it/);
      expect(g.detail).toContain("tokensPerRoundMax 250 less the 72 reserved for its round end's train-pool measure");
      // The dropped step and the ones after it in its round left nothing: no trajectory row, no candidate.
      const order = ["a", "b", "c"];
      const skipped = order.slice(order.indexOf(g.agent));
      expect(state.trajectory.filter((t) => t.round === g.round && skipped.includes(t.agent))).toEqual([]);
      expect((state.candidates ?? []).filter((c) => c.round === g.round && skipped.includes(c.agent))).toEqual([]);
    }
    // Each round's steps before the dropped one counted.
    expect(state.trajectory.length).toBeGreaterThan(0);
  });

  it("drops a step that finishes exactly at its round's ceiling though none of its calls was refused: where a round ends never depends on refusals", async () => {
    // What round 1's first step costs, from a run whose cap never binds.
    const probe = ledgeredWorkers("serial");
    const servedAfter: number[] = [];
    await optimize(capped(1e9), probe, { onStep: () => void servedAfter.push(probe.served()) });
    const firstStep = (servedAfter[4] as number) - (servedAfter[3] as number);
    // A cap whose ceiling that step's last call reaches: admitted below it, served up to it.
    const workers = ledgeredWorkers("serial");
    let refusedInRound1: number | undefined;
    const { state } = await optimize(capped(firstStep + MEASURE), workers, { onRound: () => void (refusedInRound1 ??= workers.refused()) });
    expect(refusedInRound1).toBe(0);
    expect(state.guardEvents[0]).toMatchObject({ round: 1, agent: "a", guard: "tokensPerRoundMax" });
    expect(state.guardEvents[0]?.detail).toContain("dropped");
    expect(state.trajectory.filter((t) => t.round === 1)).toEqual([]);
    expect((state.candidates ?? []).filter((c) => c.round === 1)).toEqual([]);
  });

  it("decides the same however its calls are ordered, on one worker or several: the step the cap is reached in is dropped either way", async () => {
    const serial = await optimize(capped(250), ledgeredWorkers("serial"));
    for (const seed of [3, 4, 5]) {
      const workers = ledgeredWorkers(seed);
      const concurrent = await optimize(capped(250), workers);
      expect(decisions(concurrent.state)).toEqual(decisions(serial.state));
    }
  });

  it("reports a round whose round end's measure outgrew its reserve (a label-free measure's judge calls), and reserves what it took next round", async () => {
    const unlabelled = train.map(({ label: _label, ...e }) => e);
    const { state } = await optimize(capped(250, { train: unlabelled, measure: "judge-vs-baseline" }), ledgeredWorkers(6));
    const [first, second] = state.rounds.map((r) => r.tokenCap as NonNullable<(typeof r)["tokenCap"]>);
    // Orientation's measure ran the baseline alone; a round end runs it too and judges every example.
    expect(first?.reserved).toBe(MEASURE);
    expect(first?.measure).toBe(2 * MEASURE + train.length * COST);
    expect(second?.reserved).toBe(first?.measure);
    const overCap = state.guardEvents.filter((g) => g.agent === "round end");
    expect(overCap).toEqual([
      {
        round: 1,
        agent: "round end",
        guard: "tokensPerRoundMax",
        detail: expect.stringContaining(
          `round 1 passed tokensPerRoundMax 250: its round end's train-pool measure took ${first?.measure} tokens, 72 were reserved`,
        ),
      },
    ]);
  });

  it("skips every agent step of a round without a call when the cap does not cover the round end's reserve; the round end still measures", async () => {
    const workers = ledgeredWorkers(7);
    const { state } = await optimize(capped(MEASURE - 1), workers);
    expect(workers.refused()).toBe(0);
    expect(state.trajectory).toEqual([]);
    expect(state.rounds.map((r) => r.round)).toEqual([1, 2, 3]);
    expect(state.guardEvents.map((g) => [g.round, g.agent])).toEqual([
      [1, "a"],
      [2, "a"],
      [3, "a"],
    ]);
    expect(state.guardEvents[0]?.detail).toContain("skipped: the round's token ceiling is reached before it");
  });

  it("without a cap (the default) never sets one and makes exactly the calls of a run without the ledger", async () => {
    const workers = ledgeredWorkers(8);
    const ledgered = await optimize(config(), workers);
    const plain = await optimize(config(), toyWorkers());
    expect(workers.capsSet).toEqual([]);
    expect(decisions(ledgered.state)).toEqual(decisions(plain.state));
  });

  it("lifts the cap for each round end's measure and after the last step", async () => {
    const workers = ledgeredWorkers(9);
    await optimize(capped(250), workers);
    expect(workers.capsSet.at(-1)).toBeNull();
    // Between rounds the ceiling moves on: each round's is its start plus the cap less the reserve.
    const rounds = [...new Set(workers.capsSet.flatMap((c) => (c ? [c.round] : [])))];
    expect(rounds).toEqual([1, 2, 3]);
    expect(workers.capsSet.filter((c) => c === null).length).toBeGreaterThanOrEqual(3);
  });
});

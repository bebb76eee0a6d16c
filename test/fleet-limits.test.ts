/**
 * Fleet-wide rate limits, one budget and a cost that is what endpoints served (issue 12 item 5,
 * issue 15 item 6), with real processes, a real nats-server and simlm over HTTP:
 * - simlm serving a requests-per-minute cap: the 8 workers of one cluster run take turns in the
 *   endpoints' `rateLimit` window in KV and meet no 429 (while the run asks for more than the cap);
 * - a $ budget: embedded and cluster, the spend at the end of optimization passes the budget by at
 *   most the calls in flight (in fact by at most one call's worst case), and the run ends as a
 *   normal budget stop;
 * - a worker SIGKILLed with tasks half done (paid calls in no result): the run's reported calls and
 *   tokens are what simlm served.
 */
import { KvSpendLedger, type NatsSession, connectNats, decodeResult, runStreamNames } from "@maspo/cluster";
import { TaskOutputSchema } from "@maspo/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "./helpers/nats-server.js";
import {
  BUDGET_CALL_WORST,
  BUDGET_FLAGS,
  type CountingSimServer,
  type MaspoProcess,
  type ReportJson,
  SMALL_SPEC,
  embeddedReport,
  exitedWithin,
  httpSpec,
  outputs,
  readReport,
  removeTempDirs,
  spawnMaspo,
  startCountingSim,
  startWorkers,
  stopAll,
  tempDir,
} from "./fixtures/maspo-processes.js";

const KEY_ENV = { MASPO_TEST_KEY: "test-key-not-secret" };
let server: NatsServer;
let reference: ReportJson;
let procs: MaspoProcess[] = [];
const sims: CountingSimServer[] = [];

beforeAll(async () => {
  [server, reference] = await Promise.all([startNatsServer(), embeddedReport(SMALL_SPEC)]);
}, 60_000);

afterEach(async () => {
  await stopAll(procs);
  procs = [];
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await server?.dispose();
  await removeTempDirs();
});

function coordinator(spec: string, runId: string, out: string, extra: string[] = []): MaspoProcess {
  const proc = spawnMaspo(
    "coordinator",
    ["run", spec, "--nats", server.url, "--run-id", runId, "--out", out, "--json-logs", ...extra],
    KEY_ENV,
  );
  procs.push(proc);
  return proc;
}

/** Serving calls the results published so far say their tasks made. */
async function reportedServingCalls(session: NatsSession, runId: string): Promise<number> {
  const stream = runStreamNames(runId).results;
  const info = await session.jsm.streams.info(stream).catch((err: unknown) => {
    // Not created yet: the run has published nothing.
    if (err instanceof Error && err.name === "StreamNotFoundError") return undefined;
    throw err;
  });
  if (!info) return 0;
  const { state } = info;
  let calls = 0;
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const stored = await session.jsm.streams.getMessage(stream, { seq });
    if (!stored) continue; // removed from the stream
    const result = decodeResult(stored.data);
    const output = result.ok ? TaskOutputSchema.safeParse(result.payload) : undefined;
    if (output?.success) calls += output.data.usage.rows.filter((r) => r.role === "serving").reduce((n, r) => n + r.calls, 0);
  }
  return calls;
}

/** The $ served by the end of optimization, as the run's budget-stop line says it. */
async function spentAtStop(proc: MaspoProcess): Promise<number> {
  const line = await proc.waitForLine(/budget of \$[\d.]+ spent: \$[\d.]+ served by the end of optimization/);
  return Number(/spent: \$([\d.]+) served/.exec(line)?.[1]);
}

describe("fleet-wide rate limits", () => {
  it("keeps the 8 workers of one cluster run under simlm's requests-per-minute cap: no 429, yet more requests than the cap", async () => {
    const RPM = 200;
    const sim = await startCountingSim({ rpm: RPM });
    sims.push(sim);
    const spec = await httpSpec(sim.url, "MASPO_TEST_KEY", "", { rateLimit: `{ rpm: ${RPM} }` });
    procs.push(...startWorkers(server.url, "rate-limited", { executor: 4, evaluator: 3, mutator: 1 }, [], KEY_ENV));
    const out = await tempDir();
    const proc = coordinator(spec, "rate-limited", out);
    const { code } = await exitedWithin(proc, 280_000, procs);
    expect(code, outputs(procs)).toBe(0);
    const stats = sim.rpmStats();
    expect(stats?.rateLimited).toEqual({});
    // The cap was in play: a model was asked more often than a minute allows, and no 60 s saw more than the cap.
    expect(Math.max(...Object.values(stats?.admitted ?? {}))).toBeGreaterThan(RPM);
    for (const busiest of Object.values(stats?.busiestMinute ?? {})) expect(busiest).toBeLessThanOrEqual(RPM);
    const report = await readReport(out);
    expect(report.finalPrompts).toEqual(reference.finalPrompts);
    expect(report.cost.retries).toBe(0);
  }, 300_000);
});

describe("one budget over every process", () => {
  for (const mode of ["embedded", "cluster"] as const) {
    it(`${mode}: the spend at the budget stop passes the budget by at most the calls in flight, and the run ends normally`, async () => {
      const sim = await startCountingSim({ latencyMs: 2 });
      sims.push(sim);
      const spec = await httpSpec(sim.url, "MASPO_TEST_KEY");
      const out = await tempDir();
      let proc: MaspoProcess;
      if (mode === "embedded") {
        proc = spawnMaspo("embedded", ["run", spec, "--out", out, "--json-logs", ...BUDGET_FLAGS], KEY_ENV);
        procs.push(proc);
      } else {
        procs.push(...startWorkers(server.url, "budgeted", { executor: 2, evaluator: 2, mutator: 1 }, [], KEY_ENV));
        proc = coordinator(spec, "budgeted", out, BUDGET_FLAGS);
      }
      const spent = spentAtStop(proc);
      const { code } = await exitedWithin(proc, 200_000, procs);
      expect(code, outputs(procs)).toBe(0);
      const report = await readReport(out);
      expect(report.stopReason).toBe("budget of $0.04 spent");
      const budget = 0.04;
      // In flight at most: the endpoints' concurrency (8 each, 2 endpoints) in every process that calls them.
      const inFlight = mode === "embedded" ? 16 : 16 * 5;
      expect(await spent).toBeGreaterThanOrEqual(budget);
      expect(await spent).toBeLessThanOrEqual(budget + inFlight * BUDGET_CALL_WORST.usd);
      // Reservations make it tighter than that: one call's worst case at most.
      expect(await spent).toBeLessThan(budget + BUDGET_CALL_WORST.usd);
    }, 240_000);
  }
});

describe("cost counted from what endpoints served", () => {
  it("a worker SIGKILLed mid-task: the run reports the calls and tokens simlm served", async () => {
    // "downstream", from the start: the calls that follow a planner's output are held, so the executor's
    // first tasks stop after their planner calls, which nothing has cached yet: paid, in no result.
    // "all": every request is held.
    let holding: "downstream" | "all" = "downstream";
    const sim = await startCountingSim({
      latencyMs: 5,
      hold: (body) => holding === "all" || body.includes("## Output of planner"),
    });
    sims.push(sim);
    const runId = "worker-killed";
    // A short ack wait: the killed worker's tasks go to its successor soon.
    const spec = await httpSpec(sim.url, "MASPO_TEST_KEY", "cluster:\n  ackWaitMs: 3000\n");
    const [executor, ...others] = startWorkers(server.url, runId, { executor: 1, evaluator: 1, mutator: 1 }, [], KEY_ENV);
    procs.push(executor as MaspoProcess, ...others);
    const out = await tempDir();
    const proc = coordinator(spec, runId, out);
    const session = await connectNats({ servers: server.url });
    try {
      const ledger = await KvSpendLedger.open(session.nc, runId, { budgetUsd: null, mode: "join" });
      const settled = async (role?: string): Promise<number> => {
        await ledger.refresh();
        return ledger.snapshot().rows.reduce((n, r) => n + (role === undefined || r.role === role ? r.calls : 0), 0);
      };
      const pause = async (): Promise<void> => {
        if (proc.child.exitCode !== null) throw new Error(`the run ended while the test waited:\n${outputs(procs)}`);
        await new Promise((r) => setTimeout(r, 20));
      };
      // Until the executor (the only one serving agents) has been served calls that no result of its
      // reports: its tasks are half done. Counted from task results, as before the ledger, those are lost.
      while ((await settled("serving")) <= (await reportedServingCalls(session, runId))) await pause();
      // Then every request is held: once nothing is being answered and the ledger has settled every call
      // served so far, the executor dies with those tasks half done.
      holding = "all";
      while (sim.service.inFlight > 0 || (await settled()) !== sim.total()) await pause();
      expect(await settled("serving")).toBeGreaterThan(await reportedServingCalls(session, runId));
    } finally {
      await session.nc.close();
    }
    // Held requests of the dying executor that the server answers before it notices the client is gone
    // were served to nobody: at most the requests held when it dies. Counted once it is dead and its
    // last requests are in: one it sent just before the kill can reach the endpoint (in this process,
    // whose event loop lags under load) after the kill, and be held then.
    executor?.child.kill("SIGKILL");
    expect((await executor?.exited)?.signal).toBe("SIGKILL");
    await new Promise((r) => setTimeout(r, 250));
    const heldAtKill = sim.held();
    procs.push(...startWorkers(server.url, runId, { executor: 1, evaluator: 0, mutator: 0 }, [], KEY_ENV));
    sim.release();
    const { code } = await exitedWithin(proc, 200_000, procs);
    expect(code, outputs(procs)).toBe(0);
    const report = await readReport(out);
    expect(report.finalPrompts).toEqual(reference.finalPrompts);
    // Every call the endpoint served to a live process is counted, the dead executor's settled ones included.
    expect(report.cost.calls).toBeLessThanOrEqual(sim.total());
    expect(report.cost.calls).toBeGreaterThanOrEqual(sim.total() - heldAtKill);
    expect(report.cost.tokens).toBeLessThanOrEqual(sim.tokens());
  }, 240_000);
});

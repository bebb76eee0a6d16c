/**
 * A cluster coordinator killed with SIGKILL mid-run and resumed from its checkpoint in JetStream KV:
 * the same final prompts as the embedded run, and no LLM request repeated — the workers' shared
 * response cache and the run's results log answer everything done before the kill.
 */
import { readRunRecord } from "@maspo/run";
import { connectNats } from "@maspo/cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  waitForStep,
} from "./fixtures/maspo-processes.js";

const RUN = "resume-test";
const KEY_ENV = { MASPO_TEST_KEY: "test-key-not-secret" };
let server: NatsServer;
let sim: CountingSimServer;
let reference: ReportJson;
let workers: MaspoProcess[] = [];

beforeAll(async () => {
  [server, sim, reference] = await Promise.all([startNatsServer(), startCountingSim({ latencyMs: 2 }), embeddedReport(SMALL_SPEC)]);
}, 60_000);

afterAll(async () => {
  await stopAll(workers);
  await sim?.close();
  await server?.dispose();
  await removeTempDirs();
});

describe("a killed cluster coordinator, resumed", () => {
  it("refuses --resume for a run that was never started", async () => {
    const proc = spawnMaspo("resume-unknown", [
      "run",
      SMALL_SPEC,
      "--nats",
      server.url,
      "--resume",
      "never-started",
      "--out",
      await tempDir(),
    ]);
    expect((await proc.exited).code).toBe(1);
    expect(proc.output()).toContain('run "never-started" is not on this NATS: nothing to resume');
  });

  it("finishes with the embedded run's final prompts and repeats no LLM request", async () => {
    const spec = await httpSpec(sim.url, "MASPO_TEST_KEY");
    // One replica per role: within a process identical requests in flight are one call, so every
    // request body reaching the LLM twice would be a repetition, not a race between replicas.
    workers = startWorkers(server.url, RUN, { executor: 1, evaluator: 1, mutator: 1 }, [], KEY_ENV);
    const out = await tempDir();
    const args = ["run", spec, "--nats", server.url, "--run-id", RUN, "--out", out, "--json-logs"];
    const first = spawnMaspo("coordinator", args, KEY_ENV);
    await waitForStep(first, 5);
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    const { nc } = await connectNats({ servers: server.url });
    const record = await readRunRecord(nc, RUN);
    await nc.close();
    expect(record?.checkpoint?.state.nextStep).toBeGreaterThanOrEqual(5);
    expect(record?.status).toBe("running");
    const callsBeforeResume = sim.total();

    const resumed = spawnMaspo("resumed-coordinator", [...args, "--resume"], KEY_ENV);
    const { code } = await exitedWithin(resumed, 100_000, [first, resumed, ...workers]);
    expect(code, outputs([first, resumed, ...workers])).toBe(0);
    expect(resumed.output()).toMatch(/resuming run resume-test at step [5-9]/);

    const report = await readReport(out);
    expect(report.finalPrompts).toEqual(reference.finalPrompts);
    expect(report.delta.heldOut).toEqual(reference.delta.heldOut);
    expect(sim.total()).toBeGreaterThan(callsBeforeResume);
    const repeated = [...sim.requests.values()].filter((n) => n > 1);
    expect(repeated, `${repeated.length} request bodies reached the LLM more than once`).toEqual([]);
  }, 120_000);

  it("with a $ budget and a token guard stops at the same step, with the same deadline and a cost within one call, as the uninterrupted run", async () => {
    // Its own LLM server and run: the test above counts every request its server answers.
    const budgetSim = await startCountingSim({ latencyMs: 2 });
    const runId = "resume-budget";
    const budgetWorkers = startWorkers(server.url, runId, { executor: 1, evaluator: 1, mutator: 1 }, [], KEY_ENV);
    try {
      const spec = await httpSpec(budgetSim.url, "MASPO_TEST_KEY");
      const whole = await tempDir();
      const uninterruptedRun = spawnMaspo("uninterrupted", ["run", spec, "--out", whole, "--quiet", ...BUDGET_FLAGS], KEY_ENV);
      expect((await uninterruptedRun.exited).code, uninterruptedRun.output()).toBe(0);
      const uninterrupted = await readReport(whole);
      expect(uninterrupted.stopReason).toBe("budget of $0.04 spent");

      const out = await tempDir();
      const args = ["run", spec, "--nats", server.url, "--run-id", runId, "--out", out, "--json-logs", ...BUDGET_FLAGS];
      const first = spawnMaspo("coordinator", args, KEY_ENV);
      await waitForStep(first, 4);
      first.child.kill("SIGKILL");
      expect((await first.exited).signal).toBe("SIGKILL");
      const { nc } = await connectNats({ servers: server.url });
      try {
        const atKill = (await readRunRecord(nc, runId))?.checkpoint?.state;
        expect(atKill?.deadlineAt).toBeTypeOf("number");
        const resumed = spawnMaspo("resumed-coordinator", [...args, "--resume"], KEY_ENV);
        // The resumed coordinator's own checkpoints keep the deadline the run started with.
        await waitForStep(resumed, (atKill?.nextStep ?? 0) + 1);
        expect((await readRunRecord(nc, runId))?.checkpoint?.state.deadlineAt).toBe(atKill?.deadlineAt);
        const { code } = await exitedWithin(resumed, 100_000, [first, resumed, ...budgetWorkers]);
        expect(code, outputs([first, resumed, ...budgetWorkers])).toBe(0);
      } finally {
        await nc.close();
      }
      const report = await readReport(out);
      expect(report.stopReason).toBe(uninterrupted.stopReason);
      expect(report.trajectory).toEqual(uninterrupted.trajectory);
      expect(report.guards).toEqual(uninterrupted.guards);
      // The step the budget ran out in is dropped in both; which of its calls were served first is not
      // fixed, so the two spends agree to within one call's worst case (the budget's own bound).
      expect(Math.abs(report.cost.tokens - uninterrupted.cost.tokens)).toBeLessThan(BUDGET_CALL_WORST.tokens);
      expect(Math.abs(report.cost.usd - uninterrupted.cost.usd)).toBeLessThan(BUDGET_CALL_WORST.usd);
      expect(report.finalPrompts).toEqual(uninterrupted.finalPrompts);
    } finally {
      await stopAll(budgetWorkers);
      await budgetSim.close();
    }
  }, 180_000);
});

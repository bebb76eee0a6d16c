/**
 * Cluster mode under faults, each on its own nats-server: a worker killed with SIGKILL mid-task, the
 * nats-server restarted mid-run, and malformed messages on the work subject. In every case the run
 * completes with the embedded run's final prompts: nothing lost, nothing changed.
 */
import { connectNats, DeadLetterHeaders, encode, runStreamNames, workSubject } from "@maspo/cluster";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "./helpers/nats-server.js";
import {
  type CountingSimServer,
  type MaspoProcess,
  type ReportJson,
  SMALL_SPEC,
  embeddedReport,
  exitedWithin,
  httpSpec,
  metricSum,
  outputs,
  readReport,
  removeTempDirs,
  scrapeMetrics,
  spawnMaspo,
  startCountingSim,
  startWorkers,
  stopAll,
  tempDir,
  waitForStep,
} from "./fixtures/maspo-processes.js";

const KEY_ENV = { MASPO_TEST_KEY: "test-key-not-secret" };
let reference: ReportJson;
let sim: CountingSimServer;
const servers: NatsServer[] = [];
let procs: MaspoProcess[] = [];

beforeAll(async () => {
  reference = await embeddedReport(SMALL_SPEC);
  // Latency keeps tasks in flight long enough to be killed mid-task.
  sim = await startCountingSim({ latencyMs: 15 });
}, 60_000);

afterEach(async () => {
  await stopAll(procs);
  procs = [];
  await Promise.all(servers.splice(0).map((s) => s.dispose()));
});

afterAll(async () => {
  await sim?.close();
  await removeTempDirs();
});

async function coordinate(spec: string, natsUrl: string, runId: string): Promise<{ coordinator: MaspoProcess; out: string }> {
  const out = await tempDir();
  const coordinator = spawnMaspo("coordinator", ["run", spec, "--nats", natsUrl, "--run-id", runId, "--out", out, "--json-logs"], KEY_ENV);
  procs.push(coordinator);
  return { coordinator, out };
}

async function expectSameAsEmbedded(coordinator: MaspoProcess, out: string): Promise<void> {
  const { code } = await exitedWithin(coordinator, 100_000, procs);
  expect(code, outputs(procs)).toBe(0);
  const report = await readReport(out);
  expect(report.finalPrompts).toEqual(reference.finalPrompts);
  expect(report.delta.heldOut).toEqual(reference.delta.heldOut);
}

describe("cluster mode under faults", () => {
  it("loses and changes nothing when an evaluator is killed with SIGKILL mid-task: its tasks go to the other one", async () => {
    const server = await startNatsServer();
    servers.push(server);
    // A short ack wait, so the dead worker's unacked tasks come back in seconds.
    const spec = await httpSpec(sim.url, "MASPO_TEST_KEY", "cluster:\n  ackWaitMs: 1500\n");
    procs.push(...startWorkers(server.url, "kill-worker", { executor: 2, evaluator: 2, mutator: 1 }, [], KEY_ENV));
    const [victim, survivor] = procs.filter((p) => p.name.startsWith("evaluator"));
    if (!victim || !survivor) throw new Error("two evaluators expected");
    const { coordinator, out } = await coordinate(spec, server.url, "kill-worker");

    let killedInFlight = 0;
    while (killedInFlight === 0 && coordinator.child.exitCode === null) {
      const text = await scrapeMetrics(victim);
      killedInFlight = metricSum(text, "maspo_tasks_in_flight", { role: "evaluator" });
      if (killedInFlight > 0) victim.child.kill("SIGKILL");
      else await new Promise((r) => setTimeout(r, 25));
    }
    expect(killedInFlight, "the evaluator was never seen working").toBeGreaterThan(0);
    expect((await victim.exited).signal).toBe("SIGKILL");

    await expectSameAsEmbedded(coordinator, out);
    const survived = await scrapeMetrics(survivor);
    expect(metricSum(survived, "maspo_tasks_redelivered_total", { role: "evaluator" })).toBeGreaterThan(0);
  }, 120_000);

  it("loses nothing when nats-server is restarted mid-run: every process reconnects and the run completes unchanged", async () => {
    const server = await startNatsServer();
    servers.push(server);
    procs.push(...startWorkers(server.url, "restart-nats", { executor: 2, evaluator: 2, mutator: 1 }));
    const { coordinator, out } = await coordinate(SMALL_SPEC, server.url, "restart-nats");
    await waitForStep(coordinator, 4);
    await server.restart();
    await expectSameAsEmbedded(coordinator, out);
    const workerLogs = procs.filter((p) => p !== coordinator).map((p) => p.output());
    expect(workerLogs.every((log) => log.includes('"event":"reconnected"'))).toBe(true);
  }, 120_000);

  it("moves malformed work messages to the run's dead-letter stream with their reason, and the run goes on", async () => {
    const server = await startNatsServer();
    servers.push(server);
    procs.push(...startWorkers(server.url, "poison", { executor: 1, evaluator: 1, mutator: 1 }));
    const { coordinator, out } = await coordinate(SMALL_SPEC, server.url, "poison");
    await waitForStep(coordinator, 1);
    const { nc, jsm } = await connectNats({ servers: server.url });
    try {
      // 0xc1 is a byte msgpack never uses; the second is msgpack but not a task envelope.
      nc.publish(workSubject("poison", "evaluator"), new Uint8Array([0xc1, 0x00]));
      nc.publish(workSubject("poison", "evaluator"), encode({ v: 1, hello: "not a task" }));
      await nc.flush();
      await expectSameAsEmbedded(coordinator, out);
      const dead = runStreamNames("poison").dead;
      expect((await jsm.streams.info(dead)).state.messages).toBe(2);
      const reasons = await Promise.all(
        [1, 2].map(async (seq) => (await jsm.streams.getMessage(dead, { seq }))?.header.get(DeadLetterHeaders.reason)),
      );
      expect(reasons.some((r) => r?.includes("not msgpack"))).toBe(true);
      expect(reasons.some((r) => r?.includes("taskId"))).toBe(true);
    } finally {
      await nc.close();
    }
  }, 120_000);
});

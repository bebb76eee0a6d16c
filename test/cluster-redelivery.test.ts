/**
 * A dead worker's task comes back soon: with the default spec, each role's consumer waits 10 s
 * (cluster.ackWaitMs) for an ack or a heartbeat — workers heartbeat every task they hold every
 * ackWait/3, so only a dead worker's tasks wait it out — and an evaluator SIGKILLed mid-task has
 * its tasks redelivered to the other evaluator, the run ending as the embedded run does.
 */
import { connectNats, runStreamNames, workConsumerName, type NatsSession } from "@maspo/cluster";
import { nanos } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
const RUN = "redelivery";
let server: NatsServer;
let sim: CountingSimServer;
let reference: ReportJson;
let session: NatsSession;
let procs: MaspoProcess[] = [];

beforeAll(async () => {
  // Latency keeps tasks in flight long enough to be killed mid-task.
  [server, sim, reference] = await Promise.all([startNatsServer(), startCountingSim({ latencyMs: 15 }), embeddedReport(SMALL_SPEC)]);
  session = await connectNats({ servers: server.url });
}, 60_000);

afterAll(async () => {
  await stopAll(procs);
  await session?.nc.close();
  await sim?.close();
  await server?.dispose();
  await removeTempDirs();
});

describe("redelivery of a dead worker's task", () => {
  it("waits the default ack wait of 10 s, not 30 s: a SIGKILLed evaluator's task goes to the other one and the run is unchanged", async () => {
    const spec = await httpSpec(sim.url, "MASPO_TEST_KEY"); // no cluster section: the defaults
    procs = startWorkers(server.url, RUN, { executor: 2, evaluator: 2, mutator: 1 }, [], KEY_ENV);
    const [victim, survivor] = procs.filter((p) => p.name.startsWith("evaluator"));
    if (!victim || !survivor) throw new Error("two evaluators expected");
    const out = await tempDir();
    const coordinator = spawnMaspo(
      "coordinator",
      ["run", spec, "--nats", server.url, "--run-id", RUN, "--out", out, "--json-logs"],
      KEY_ENV,
    );
    procs.push(coordinator);
    await waitForStep(coordinator, 1);

    const consumer = await session.jsm.consumers.info(runStreamNames(RUN).work, workConsumerName("evaluator"));
    expect(consumer.config.ack_wait).toBe(nanos(10_000));

    let killedInFlight = 0;
    while (killedInFlight === 0 && coordinator.child.exitCode === null) {
      killedInFlight = metricSum(await scrapeMetrics(victim), "maspo_tasks_in_flight", { role: "evaluator" });
      if (killedInFlight > 0) victim.child.kill("SIGKILL");
      else await new Promise((r) => setTimeout(r, 25));
    }
    expect(killedInFlight, "the evaluator was never seen working").toBeGreaterThan(0);
    expect((await victim.exited).signal).toBe("SIGKILL");

    expect((await exitedWithin(coordinator, 100_000, procs)).code, outputs(procs)).toBe(0);
    const report = await readReport(out);
    expect(report.finalPrompts).toEqual(reference.finalPrompts);
    expect(report.delta.heldOut).toEqual(reference.delta.heldOut);
    expect(metricSum(await scrapeMetrics(survivor), "maspo_tasks_redelivered_total", { role: "evaluator" })).toBeGreaterThan(0);
  }, 150_000);
});

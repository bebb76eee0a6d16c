/**
 * Forged results on a real cluster: a client that sees the run's tasks publishes a result for two
 * awaited runGraph tasks before their worker can — one well-formed envelope whose payload is not a
 * trace, one `ok: false` with a non-retryable error. Neither ends the run: the invalid one is
 * dead-lettered with its reason and its task retried under a fresh id, the failure is asked again
 * and, not reproduced, dead-lettered too. The coordinator is then SIGKILLed before its first
 * checkpoint, so a `--resume` reads the forged results first in the log again, and completes.
 */
import {
  DeadLetterHeaders,
  connectNats,
  decodeTask,
  encode,
  openJetStreamWorkQueue,
  resultSubject,
  runStreamNames,
  workSubject,
  type NatsSession,
} from "@maspo/cluster";
import { jetstream } from "@nats-io/jetstream";
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
const RUN = "forged";
let server: NatsServer;
let sim: CountingSimServer;
let reference: ReportJson;
let session: NatsSession | undefined;
let procs: MaspoProcess[] = [];

beforeAll(async () => {
  // Run requests are held unanswered until the forgeries are in the results log: the forger is first.
  [server, sim, reference] = await Promise.all([startNatsServer(), startCountingSim({ hold: () => true }), embeddedReport(SMALL_SPEC)]);
}, 60_000);

afterAll(async () => {
  await stopAll(procs);
  await session?.nc.close();
  await sim?.close();
  await server?.dispose();
  await removeTempDirs();
});

describe("forged results on a cluster run", () => {
  it("are the role's their subject names: an executor's result claiming to be an evaluator's is read as the executor's", async () => {
    const { nc } = (session = await connectNats({ servers: server.url }));
    const queue = await openJetStreamWorkQueue({ nc, runId: "claims" });
    const claimed = { v: 1, runId: "claims", taskId: "evaluate.x", role: "evaluator", ok: true, payload: {} } as const;
    await jetstream(nc).publish(resultSubject("claims", "executor"), encode(claimed), { msgID: claimed.taskId });
    for await (const { result } of queue.results()) {
      // The coordinator refuses it for its evaluate task (a result of another role) and retries the task.
      expect(result).toEqual({ ...claimed, role: "executor" });
      break;
    }
    await queue.close();
  });

  it("are dead-lettered and their tasks retried, and a --resume that reads them first in the log completes as the embedded run", async () => {
    session ??= await connectNats({ servers: server.url });
    const js = jetstream(session.nc);
    const forgeries: Promise<unknown>[] = [];
    const forgedIds: string[] = [];
    const allForged = new Promise<void>((resolve) => {
      session?.nc.subscribe(workSubject(RUN, "executor"), {
        callback: (_err, msg) => {
          const task = decodeTask(msg.data);
          if (task.kind !== "runGraph" || forgedIds.length >= 2) return;
          forgedIds.push(task.taskId);
          const base = { v: 1, runId: RUN, taskId: task.taskId, role: "executor" } as const;
          const forged =
            forgedIds.length === 1
              ? { ...base, ok: true, payload: { value: { not: "a trace" }, usage: { rows: [] } } }
              : { ...base, ok: false, error: { code: "E_LLM_HTTP", message: "forged refusal", retryable: false } };
          forgeries.push(js.publish(resultSubject(RUN, "executor"), encode(forged), { msgID: task.taskId }));
          if (forgedIds.length === 2) resolve();
        },
      });
    });
    await session.nc.flush();

    const spec = await httpSpec(sim.url, "MASPO_TEST_KEY");
    procs = startWorkers(server.url, RUN, { executor: 1, evaluator: 1, mutator: 1 }, [], KEY_ENV);
    const out = await tempDir();
    const args = ["run", spec, "--nats", server.url, "--run-id", RUN, "--out", out, "--json-logs"];
    const first = spawnMaspo("coordinator", args, KEY_ENV);
    procs.push(first);
    await allForged;
    await Promise.all(forgeries);
    await first.waitForLine(/returned an invalid result/);
    expect(first.child.exitCode, first.output()).toBeNull();
    first.child.kill("SIGKILL");
    await first.exited;
    sim.release();

    const resumed = spawnMaspo("coordinator-resumed", [...args, "--resume"], KEY_ENV);
    procs.push(resumed);
    expect((await exitedWithin(resumed, 100_000, procs)).code, outputs(procs)).toBe(0);
    const report = await readReport(out);
    expect(report.finalPrompts).toEqual(reference.finalPrompts);
    expect(report.delta.heldOut).toEqual(reference.delta.heldOut);

    // The run is done and its streams retired, but a dead-letter stream that holds records is kept.
    const dead = runStreamNames(RUN).dead;
    const { jsm } = session;
    const { messages } = (await jsm.streams.info(dead)).state;
    const records = await Promise.all(Array.from({ length: messages }, (_, i) => jsm.streams.getMessage(dead, { seq: i + 1 })));
    const reasons = records.map((r) => r?.header.get(DeadLetterHeaders.reason) ?? "");
    expect(
      reasons.some((r) => /^invalid result: /.test(r)),
      reasons.join("\n"),
    ).toBe(true);
    expect(records.every((r) => r?.header.get(DeadLetterHeaders.subject) === resultSubject(RUN, "executor"))).toBe(true);
  }, 150_000);
});

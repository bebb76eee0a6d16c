/**
 * JetStream-only WorkQueue behaviour on a real nats-server: a worker process killed mid-task, poison
 * messages, heartbeats on long tasks, a server restart mid-run, run isolation, a coordinator
 * resuming from its results position, runs sharing one worker's task slots fairly, and a done run's
 * streams retired (never re-created by a worker). Spawned workers use the built dist (`npx tsc -b` first).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  DeadLetterHeaders,
  Semaphore,
  encode,
  openJetStreamWorkQueue,
  retireRunStreams,
  runStreamNames,
  workSubject,
  type DeliveredResult,
  type TaskEnvelope,
  type WorkQueue,
  type WorkQueueEvent,
  type WorkQueueSettingsInput,
} from "@maspo/cluster";
import { startNatsServer, type NatsServer } from "./helpers/nats-server.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

let server: NatsServer;
let admin: NatsConnection;
let jsm: JetStreamManager;
const cleanups: (() => Promise<void>)[] = [];
let runCounter = 0;
const newRunId = (): string => `nq-${process.pid}-${++runCounter}`;

beforeAll(async () => {
  server = await startNatsServer();
  admin = await connect({ servers: server.url });
  jsm = await jetstreamManager(admin);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await admin.close();
  await server.dispose();
});

async function openQueue(
  runId: string,
  settings?: WorkQueueSettingsInput,
  observer?: (e: WorkQueueEvent) => void,
  worker: { slots?: Semaphore; createStreams?: boolean } = {},
): Promise<WorkQueue> {
  const nc = await connect({ servers: server.url, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  const queue = await openJetStreamWorkQueue({ nc, runId, settings, observer, ...worker });
  cleanups.push(async () => {
    await queue.close();
    if (!nc.isClosed()) await nc.drain();
  });
  return queue;
}

function task(runId: string, taskId: string, payload: unknown = taskId): TaskEnvelope {
  return { v: 1, runId, taskId, role: "executor", kind: "test", payload };
}

async function collect(queue: WorkQueue, count: number, after?: number): Promise<DeliveredResult[]> {
  const out: DeliveredResult[] = [];
  for await (const delivered of queue.results({ after })) {
    out.push(delivered);
    if (out.length >= count) break;
  }
  return out;
}

/** Resolves once `predicate` has held for `count` events. */
function eventCounter(predicate: (e: WorkQueueEvent) => boolean, count: number) {
  let seen = 0;
  let resolve!: () => void;
  const reached = new Promise<void>((r) => (resolve = r));
  return {
    observer: (e: WorkQueueEvent) => {
      if (predicate(e) && ++seen === count) resolve();
    },
    reached,
  };
}

/** A new run whose coordinator submitted one task, and a worker (creating no stream) that completed it. */
async function runWithOneTaskDone(taskId: string): Promise<{ runId: string; coordinator: WorkQueue }> {
  const runId = newRunId();
  const coordinator = await openQueue(runId);
  const completed = eventCounter((e) => e.type === "task-completed", 1);
  const worker = await openQueue(runId, { ackWaitMs: 1000 }, completed.observer, { createStreams: false });
  await worker.process("executor", async (t) => t.taskId, { concurrency: 1 });
  await coordinator.submit(task(runId, taskId));
  await completed.reached;
  return { runId, coordinator };
}

const WORKER_SCRIPT = `
import { connect } from "@nats-io/transport-node";
import { openJetStreamWorkQueue } from "@maspo/cluster";
const nc = await connect({ servers: process.env.NATS_URL });
const queue = await openJetStreamWorkQueue({ nc, runId: process.env.RUN_ID, settings: { ackWaitMs: Number(process.env.ACK_WAIT_MS) } });
await queue.process("executor", async (task, ctx) => {
  process.stdout.write("STARTED " + task.taskId + " " + ctx.deliveryCount + "\\n");
  await new Promise(() => {});
}, { concurrency: 1 });
process.stdout.write("READY\\n");
`;

function spawnWorker(runId: string, ackWaitMs: number): { child: ChildProcess; line: (prefix: string) => Promise<string> } {
  const child = spawn(process.execPath, ["--input-type=module", "-e", WORKER_SCRIPT], {
    cwd: repoRoot,
    env: { ...process.env, NATS_URL: server.url, RUN_ID: runId, ACK_WAIT_MS: String(ackWaitMs) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const waiters: { prefix: string; resolve: (l: string) => void }[] = [];
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) {
      const found = out.split("\n").find((l) => l.startsWith(w.prefix));
      if (found) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(found);
      }
    }
  });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    }
  });
  const line = (prefix: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const found = out.split("\n").find((l) => l.startsWith(prefix));
      if (found) return resolve(found);
      waiters.push({ prefix, resolve });
      child.once("exit", (code) => reject(new Error(`worker exited (${code}) before "${prefix}"; stderr:\n${err}`)));
    });
  return { child, line };
}

describe("JetStream work queue on a real nats-server", () => {
  test("a worker process killed with SIGKILL mid-task has its task redelivered to another worker, and its result appears once", async () => {
    const runId = newRunId();
    const settings = { ackWaitMs: 1500 };
    const coordinator = await openQueue(runId, settings);
    const victim = spawnWorker(runId, settings.ackWaitMs);
    await victim.line("READY");
    await coordinator.submit(task(runId, "victim-task"));
    expect(await victim.line("STARTED")).toBe("STARTED victim-task 1");

    const exited = new Promise((r) => victim.child.once("exit", r));
    victim.child.kill("SIGKILL");
    await exited;

    const completed = eventCounter((e) => e.type === "task-completed", 1);
    const survivor = await openQueue(runId, settings, completed.observer);
    await survivor.process("executor", async (_t, ctx) => `survivor, delivery ${ctx.deliveryCount}`, { concurrency: 1 });
    const [delivered] = await collect(coordinator, 1);
    expect(delivered?.result).toMatchObject({ taskId: "victim-task", ok: true, payload: "survivor, delivery 2" });
    await completed.reached;

    const names = runStreamNames(runId);
    expect((await jsm.streams.info(names.results)).state.messages).toBe(1);
    await expect.poll(async () => (await jsm.streams.info(names.work)).state.messages, { timeout: 5000 }).toBe(0);
  });

  test("a task whose worker dies on its last allowed delivery comes back as an E_MAX_DELIVER error result", async () => {
    const runId = newRunId();
    const settings = { ackWaitMs: 1000, maxDeliver: 1 };
    const coordinator = await openQueue(runId, settings);
    const victim = spawnWorker(runId, settings.ackWaitMs);
    await victim.line("READY");
    await coordinator.submit(task(runId, "cursed"));
    await victim.line("STARTED cursed");
    const gaveUp = eventCounter((e) => e.type === "task-completed" && !e.ok, 1);
    const survivor = await openQueue(runId, settings, gaveUp.observer);
    const handled: string[] = [];
    await survivor.process(
      "executor",
      async (t) => {
        handled.push(t.taskId);
        return "ran";
      },
      { concurrency: 1 },
    );
    const exited = new Promise((r) => victim.child.once("exit", r));
    victim.child.kill("SIGKILL");
    await exited;

    const [delivered] = await collect(coordinator, 1);
    expect(delivered?.result).toMatchObject({ taskId: "cursed", ok: false, error: { code: "E_MAX_DELIVER", retryable: true } });
    expect(handled).toEqual([]);
    await gaveUp.reached;
    await expect.poll(async () => (await jsm.streams.info(runStreamNames(runId).work)).state.messages, { timeout: 5000 }).toBe(0);
  });

  test("undecodable and invalid messages land in the dead-letter stream with their reason, and the queue goes on", async () => {
    const runId = newRunId();
    const js = jetstream(admin);
    await openQueue(runId); // creates the run's streams
    await js.publish(workSubject(runId, "executor"), new Uint8Array([0xc1, 0xff, 0x00]));
    await js.publish(workSubject(runId, "executor"), encode({ v: 2, runId, taskId: "bad", role: "executor", kind: "x" }));

    const deadLettered = eventCounter((e) => e.type === "dead-lettered", 2);
    const completed = eventCounter((e) => e.type === "task-completed", 1);
    const worker = await openQueue(runId, {}, (e) => {
      deadLettered.observer(e);
      completed.observer(e);
    });
    const handled: string[] = [];
    await worker.process(
      "executor",
      async (t) => {
        handled.push(t.taskId);
        return "fine";
      },
      { concurrency: 2 },
    );
    await worker.submit(task(runId, "good"));
    const [delivered] = await collect(worker, 1);
    expect(delivered?.result).toMatchObject({ taskId: "good", ok: true, payload: "fine" });
    await deadLettered.reached;
    await completed.reached;
    expect(handled).toEqual(["good"]);

    const names = runStreamNames(runId);
    // Acks are not confirmed (a plain ack): the work queue empties once the server has applied them.
    await expect.poll(async () => (await jsm.streams.info(names.work)).state.messages, { timeout: 5000 }).toBe(0);
    const reasons: string[] = [];
    for (const seq of [1, 2]) {
      const stored = await jsm.streams.getMessage(names.dead, { seq });
      reasons.push(stored?.header.get(DeadLetterHeaders.reason) ?? "(no reason)");
      expect(stored?.header.get(DeadLetterHeaders.subject)).toBe(workSubject(runId, "executor"));
    }
    expect(reasons.find((r) => r.startsWith("not msgpack"))).toBeDefined();
    expect(reasons.find((r) => r.includes("v: expected") && r.includes("payload"))).toBeDefined();
  });

  test("a task longer than ackWait is not redelivered while its handler runs, thanks to working() heartbeats", async () => {
    const runId = newRunId();
    const queue = await openQueue(runId, { ackWaitMs: 600 });
    const deliveries: number[] = [];
    await queue.process(
      "executor",
      async (_t, ctx) => {
        deliveries.push(ctx.deliveryCount);
        await new Promise((r) => setTimeout(r, 2000));
        return "slow but steady";
      },
      { concurrency: 2 },
    );
    await queue.submit(task(runId, "slow"));
    const [delivered] = await collect(queue, 1);
    expect(delivered?.result).toMatchObject({ taskId: "slow", ok: true, payload: "slow but steady" });
    expect(deliveries).toEqual([1]);
  });

  test("a nats-server restart mid-run loses no task and no result", async () => {
    const runId = newRunId();
    const settings = { ackWaitMs: 2000 };
    const started = eventCounter((e) => e.type === "task-started", 3);
    const coordinator = await openQueue(runId, settings);
    const worker = await openQueue(runId, settings, started.observer);
    let openGate!: () => void;
    const gate = new Promise<void>((r) => (openGate = r));
    const handled = new Set<string>();
    await worker.process(
      "executor",
      async (t) => {
        await gate;
        handled.add(t.taskId);
        return `done ${t.taskId}`;
      },
      { concurrency: 3 },
    );
    const before = Array.from({ length: 10 }, (_, i) => `before-${i}`);
    for (const id of before) await coordinator.submit(task(runId, id));
    const results = collect(coordinator, 15);
    await started.reached;

    await server.restart();
    const after = Array.from({ length: 5 }, (_, i) => `after-${i}`);
    for (const id of after) await coordinator.submit(task(runId, id));
    openGate();

    const got = await results;
    expect(got.map((r) => r.result.taskId).sort()).toEqual([...before, ...after].sort());
    expect(got.every((r) => r.result.ok)).toBe(true);
    expect([...handled].sort()).toEqual([...before, ...after].sort());
  });

  test("two runs on one server never see each other's work", async () => {
    const runA = newRunId();
    const runB = newRunId();
    const queueA = await openQueue(runA);
    const queueB = await openQueue(runB);
    const seenA: string[] = [];
    const seenB: string[] = [];
    await queueA.process(
      "executor",
      async (t) => {
        seenA.push(`${t.runId}/${t.taskId}`);
        return "A";
      },
      { concurrency: 2 },
    );
    await queueB.process(
      "executor",
      async (t) => {
        seenB.push(`${t.runId}/${t.taskId}`);
        return "B";
      },
      { concurrency: 2 },
    );
    for (const id of ["t1", "t2"]) {
      await queueA.submit(task(runA, id));
      await queueB.submit(task(runB, id));
    }
    const [resultsA, resultsB] = await Promise.all([collect(queueA, 2), collect(queueB, 2)]);
    expect(resultsA.map((r) => [r.result.runId, r.result.ok && r.result.payload])).toEqual([
      [runA, "A"],
      [runA, "A"],
    ]);
    expect(resultsB.map((r) => [r.result.runId, r.result.ok && r.result.payload])).toEqual([
      [runB, "B"],
      [runB, "B"],
    ]);
    expect(seenA.sort()).toEqual([`${runA}/t1`, `${runA}/t2`]);
    expect(seenB.sort()).toEqual([`${runB}/t1`, `${runB}/t2`]);
  });

  test("a coordinator that reopens the queue gets, from its saved position, exactly the results it had not read", async () => {
    const runId = newRunId();
    const completed = eventCounter((e) => e.type === "task-completed", 4);
    const worker = await openQueue(runId, {}, completed.observer);
    await worker.process("executor", async (t) => t.taskId, { concurrency: 1 });

    const first = await openQueue(runId);
    await first.submit(task(runId, "a1"));
    await first.submit(task(runId, "a2"));
    const read = await collect(first, 2);
    const savedPosition = Math.max(...read.map((r) => r.position));
    await first.close();

    // While no coordinator is reading, more work completes.
    await worker.submit(task(runId, "a3"));
    await worker.submit(task(runId, "a4"));
    await completed.reached;

    const resumed = await openQueue(runId);
    const rest = await collect(resumed, 2, savedPosition);
    expect(rest.map((r) => r.result.taskId).sort()).toEqual(["a3", "a4"]);
  });

  test("processors of two runs sharing one worker's slots take turns: a big run queued first does not starve a small one", async () => {
    const big = newRunId();
    const small = newRunId();
    const bigCoordinator = await openQueue(big);
    const smallCoordinator = await openQueue(small);
    for (let i = 0; i < 20; i++) await bigCoordinator.submit(task(big, `b${i}`));
    for (let i = 0; i < 3; i++) await smallCoordinator.submit(task(small, `s${i}`));
    const slots = new Semaphore(1);
    const order: string[] = [];
    const handler = async (t: TaskEnvelope): Promise<string> => {
      order.push(t.taskId);
      await new Promise((r) => setTimeout(r, 40));
      return t.taskId;
    };
    const bigWorker = await openQueue(big, {}, undefined, { slots, createStreams: false });
    await bigWorker.process("executor", handler, { concurrency: 1 });
    // The big run has the slot and its next task waiting for it before the small run's processor starts.
    await new Promise((r) => setTimeout(r, 100));
    const smallWorker = await openQueue(small, {}, undefined, { slots, createStreams: false });
    await smallWorker.process("executor", handler, { concurrency: 1 });
    await Promise.all([collect(bigCoordinator, 20), collect(smallCoordinator, 3)]);
    expect(order).toHaveLength(23);
    // FIFO slots alternate between the runs with work: once the small run has work, its tasks and the
    // big run's take turns, so it is done while the big run still has most of its tasks to go.
    const firstSmall = order.findIndex((id) => id.startsWith("s"));
    const lastSmall = Math.max(...["s0", "s1", "s2"].map((id) => order.indexOf(id)));
    expect(order.slice(firstSmall, lastSmall).filter((id) => id.startsWith("b")).length, order.join(" ")).toBeLessThanOrEqual(3);
    expect(order.length - 1 - lastSmall, order.join(" ")).toBeGreaterThanOrEqual(4);
  });

  test("a result read back from a results log that was deleted mid-run fails as the run's streams gone (E_RUN_STREAMS_GONE), naming the stream and the resume", async () => {
    const { runId, coordinator } = await runWithOneTaskDone("kept");
    expect((await coordinator.resultAt(1))?.taskId).toBe("kept");
    const names = runStreamNames(runId);
    await jsm.streams.delete(names.results);
    const read = coordinator.resultAt(1);
    await expect(read).rejects.toMatchObject({ code: "E_RUN_STREAMS_GONE" });
    await expect(read).rejects.toThrow(new RegExp(`stream ${names.results} is gone.*--resume ${runId}`));
  });

  test("a done run's streams are retired: work and results deleted, dead letters kept to expire, and a worker's queue never re-creates them", async () => {
    const { runId, coordinator } = await runWithOneTaskDone("only");
    admin.publish(workSubject(runId, "executor"), new Uint8Array([0xc1]));
    await admin.flush();
    const names = runStreamNames(runId);
    await expect.poll(async () => (await jsm.streams.info(names.dead)).state.messages).toBe(1);

    await coordinator.close();
    expect(await retireRunStreams(jsm, runId, { deadLetterRetentionMs: 3_600_000 })).toEqual({ deadLetters: 1 });
    const missing = async (name: string): Promise<boolean> =>
      jsm.streams.info(name).then(
        () => false,
        () => true,
      );
    // The worker's processor sees its consumer go and tries to re-attach, but creates no stream.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await missing(names.work)).toBe(true);
    expect(await missing(names.results)).toBe(true);
    const dead = await jsm.streams.info(names.dead);
    expect(dead.state.messages).toBe(1);
    expect(dead.config.max_age).toBe(3_600_000 * 1_000_000);

    await jsm.streams.purge(names.dead);
    expect(await retireRunStreams(jsm, runId, { deadLetterRetentionMs: 3_600_000 })).toEqual({ deadLetters: 0 });
    expect(await missing(names.dead)).toBe(true);
    // A worker's queue for a run whose streams are gone refuses to serve it rather than re-create them.
    const late = await openQueue(runId, {}, undefined, { createStreams: false });
    await expect(late.process("executor", async () => "never", { concurrency: 1 })).rejects.toThrow(/stream not found/);
    expect(await missing(names.work)).toBe(true);
  });
});

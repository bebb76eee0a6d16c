/**
 * The WorkQueue contract, run against both implementations: in-process and JetStream on a real
 * nats-server. NATS-only behaviour (crashes, poison bytes, server restarts) is in nats-work-queue.test.ts.
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  createInProcessWorkQueue,
  openJetStreamWorkQueue,
  RunMismatchError,
  TaskFailedError,
  type DeliveredResult,
  type TaskEnvelope,
  type WorkQueue,
  type WorkQueueSettingsInput,
} from "@maspo/cluster";
import { type WorkerRole } from "@maspo/core";
import { ValidationError } from "@maspo/core";
import { startNatsServer, type NatsServer } from "./helpers/nats-server.js";

interface Implementation {
  name: string;
  setup(): Promise<void>;
  /** A queue for `runId`; each call is a separate client (a separate replica, for JetStream). */
  open(runId: string, settings?: WorkQueueSettingsInput): Promise<WorkQueue>;
  /** Closes the queues opened by a test. */
  teardown(): Promise<void>;
  dispose(): Promise<void>;
}

const inProcess = (): Implementation => {
  const queues = new Map<string, WorkQueue>();
  return {
    name: "in-process",
    setup: () => Promise.resolve(),
    // One process holds one queue per run; "replicas" are processors on that same queue.
    open(runId, settings) {
      let queue = queues.get(runId);
      if (!queue) {
        queue = createInProcessWorkQueue({ runId, settings });
        queues.set(runId, queue);
      }
      return Promise.resolve(queue);
    },
    async teardown() {
      await Promise.all([...queues.values()].map((q) => q.close()));
      queues.clear();
    },
    dispose: () => Promise.resolve(),
  };
};

const jetStream = (): Implementation => {
  let server: NatsServer | undefined;
  const open: { nc: NatsConnection; queue: WorkQueue }[] = [];
  return {
    name: "jetstream",
    async setup() {
      server = await startNatsServer();
    },
    async open(runId, settings) {
      if (!server) throw new Error("server not started");
      const nc = await connect({ servers: server.url });
      const queue = await openJetStreamWorkQueue({ nc, runId, settings });
      open.push({ nc, queue });
      return queue;
    },
    async teardown() {
      for (const { nc, queue } of open.splice(0)) {
        await queue.close();
        await nc.drain();
      }
    },
    async dispose() {
      await server?.dispose();
    },
  };
};

let runCounter = 0;
const newRunId = (): string => `run-${process.pid}-${++runCounter}`;

function task(runId: string, taskId: string, role: WorkerRole = "executor", payload: unknown = { n: taskId }): TaskEnvelope {
  return { v: 1, runId, taskId, role, kind: "test", payload };
}

async function collect(queue: WorkQueue, count: number, after?: number): Promise<DeliveredResult[]> {
  const out: DeliveredResult[] = [];
  if (count === 0) return out;
  for await (const delivered of queue.results({ after })) {
    out.push(delivered);
    if (out.length >= count) break;
  }
  return out;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const byTaskId = (a: DeliveredResult, b: DeliveredResult): number => a.result.taskId.localeCompare(b.result.taskId);

describe.each([inProcess(), jetStream()])("WorkQueue contract: $name", (impl) => {
  beforeAll(() => impl.setup());
  afterEach(() => impl.teardown());
  afterAll(async () => {
    await impl.teardown();
    await impl.dispose();
  });

  test("a submitted task reaches its role's handler and the handler's payload comes back as the result", async () => {
    const runId = newRunId();
    const queue = await impl.open(runId);
    await queue.process("executor", async (t) => ({ echoed: t.payload, kind: t.kind }), { concurrency: 1 });
    await queue.submit(task(runId, "t1", "executor", { x: [1, 2, 3] }));
    const [delivered] = await collect(queue, 1);
    expect(delivered?.result).toEqual({
      v: 1,
      runId,
      taskId: "t1",
      role: "executor",
      ok: true,
      payload: { echoed: { x: [1, 2, 3] }, kind: "test" },
    });
  });

  test("a result is read back by the position it was yielded at, from another client too; a position the log has nothing at reads as undefined", async () => {
    const runId = newRunId();
    const queue = await impl.open(runId);
    await queue.process("executor", async (t) => ({ echoed: t.payload }), { concurrency: 2 });
    for (const id of ["r1", "r2", "r3"]) await queue.submit(task(runId, id, "executor", { id }));
    const delivered = await collect(queue, 3);
    const reader = await impl.open(runId);
    for (const d of delivered) {
      expect(await queue.resultAt(d.position)).toEqual(d.result);
      expect(await reader.resultAt(d.position)).toEqual(d.result);
    }
    const last = Math.max(...delivered.map((d) => d.position));
    expect(await queue.resultAt(last + 1)).toBeUndefined();
    expect(await queue.resultAt(0)).toBeUndefined();
  });

  test("submitting the same task id twice runs it once and yields one result", async () => {
    const runId = newRunId();
    const queue = await impl.open(runId);
    await queue.submit(task(runId, "same"));
    await queue.submit(task(runId, "same"));
    await queue.submit(task(runId, "after"));
    const calls: string[] = [];
    await queue.process(
      "executor",
      async (t) => {
        calls.push(t.taskId);
        return null;
      },
      { concurrency: 1 },
    );
    const results = await collect(queue, 2);
    expect(results.map((r) => r.result.taskId).sort()).toEqual(["after", "same"]);
    expect(calls.sort()).toEqual(["after", "same"]);
  });

  test("each task reaches exactly one of two processors sharing a role", async () => {
    const runId = newRunId();
    const coordinator = await impl.open(runId);
    const replicaA = await impl.open(runId);
    const replicaB = await impl.open(runId);
    const handled: string[] = [];
    const handler = async (t: TaskEnvelope): Promise<string> => {
      handled.push(t.taskId);
      await new Promise((r) => setTimeout(r, 5));
      return t.taskId;
    };
    await replicaA.process("evaluator", handler, { concurrency: 2 });
    await replicaB.process("evaluator", handler, { concurrency: 2 });
    const ids = Array.from({ length: 20 }, (_, i) => `e${String(i).padStart(2, "0")}`);
    for (const id of ids) await coordinator.submit(task(runId, id, "evaluator"));
    const results = await collect(coordinator, ids.length);
    expect(results.map((r) => r.result.taskId).sort()).toEqual(ids);
    expect(handled.sort()).toEqual(ids);
  });

  test("tasks go only to processors of their own role", async () => {
    const runId = newRunId();
    const queue = await impl.open(runId);
    const seen: Record<string, string[]> = { executor: [], mutator: [] };
    await queue.process(
      "executor",
      async (t) => {
        seen.executor?.push(t.taskId);
        return "x";
      },
      { concurrency: 2 },
    );
    await queue.process(
      "mutator",
      async (t) => {
        seen.mutator?.push(t.taskId);
        return "m";
      },
      { concurrency: 2 },
    );
    await queue.submit(task(runId, "x1", "executor"));
    await queue.submit(task(runId, "m1", "mutator"));
    await queue.submit(task(runId, "x2", "executor"));
    const results = await collect(queue, 3);
    expect(results.sort(byTaskId).map((r) => [r.result.taskId, r.result.role])).toEqual([
      ["m1", "mutator"],
      ["x1", "executor"],
      ["x2", "executor"],
    ]);
    expect(seen.executor?.sort()).toEqual(["x1", "x2"]);
    expect(seen.mutator).toEqual(["m1"]);
  });

  test("a retryable failure is retried with a growing delivery count until it succeeds", async () => {
    const runId = newRunId();
    const queue = await impl.open(runId, { backoffMs: 20, maxDeliver: 5 });
    const deliveries: number[] = [];
    await queue.process(
      "executor",
      async (_t, ctx) => {
        deliveries.push(ctx.deliveryCount);
        if (ctx.deliveryCount < 3) throw new TaskFailedError("E_LLM_RATE_LIMITED", "slow down", { retryable: true });
        return "finally";
      },
      { concurrency: 1 },
    );
    await queue.submit(task(runId, "flaky"));
    const [delivered] = await collect(queue, 1);
    expect(delivered?.result).toMatchObject({ taskId: "flaky", ok: true, payload: "finally" });
    expect(deliveries).toEqual([1, 2, 3]);
  });

  test("a retryable failure that outlasts maxDeliver becomes an error result marked retryable", async () => {
    const runId = newRunId();
    const queue = await impl.open(runId, { backoffMs: 10, maxDeliver: 2 });
    let calls = 0;
    await queue.process(
      "executor",
      async () => {
        calls++;
        throw new TaskFailedError("E_LLM_TIMEOUT", "the model timed out", { retryable: true });
      },
      { concurrency: 1 },
    );
    await queue.submit(task(runId, "doomed"));
    const [delivered] = await collect(queue, 1);
    expect(delivered?.result).toMatchObject({
      taskId: "doomed",
      ok: false,
      error: { code: "E_LLM_TIMEOUT", message: "the model timed out", retryable: true },
    });
    expect(calls).toBe(2);
  });

  test("a non-retryable failure becomes an error result at once, without a retry", async () => {
    const runId = newRunId();
    const queue = await impl.open(runId, { backoffMs: 10, maxDeliver: 5 });
    let calls = 0;
    await queue.process(
      "mutator",
      async () => {
        calls++;
        throw new Error("bad proposal");
      },
      { concurrency: 1 },
    );
    await queue.submit(task(runId, "broken", "mutator"));
    await queue.submit(task(runId, "next", "mutator"));
    const results = (await collect(queue, 2)).sort(byTaskId);
    expect(results[0]?.result).toMatchObject({
      taskId: "broken",
      ok: false,
      error: { code: "E_TASK_FAILED", message: "Error: bad proposal", retryable: false },
    });
    expect(calls).toBe(2);
  });

  test("a processor never runs more tasks at once than its concurrency", async () => {
    const runId = newRunId();
    const queue = await impl.open(runId);
    let active = 0;
    let peak = 0;
    await queue.process(
      "executor",
      async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 15));
        active--;
        return null;
      },
      { concurrency: 3 },
    );
    for (let i = 0; i < 12; i++) await queue.submit(task(runId, `c${i}`));
    await collect(queue, 12);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(0);
  });

  test("stop() lets the in-flight task finish and publish, and the stopped processor takes no more work", async () => {
    const runId = newRunId();
    const queue = await impl.open(runId);
    const gate = deferred();
    const started = deferred();
    const firstHandled: string[] = [];
    const first = await queue.process(
      "executor",
      async (t) => {
        firstHandled.push(t.taskId);
        started.resolve();
        await gate.promise;
        return "done-by-first";
      },
      { concurrency: 1 },
    );
    await queue.submit(task(runId, "in-flight"));
    await started.promise;
    const stopping = first.stop();
    await queue.submit(task(runId, "later"));
    gate.resolve();
    await stopping;
    expect(first.inFlight).toBe(0);
    await queue.process("executor", async () => "done-by-second", { concurrency: 1 });
    const results = (await collect(queue, 2)).sort(byTaskId);
    expect(results.map((r) => [r.result.taskId, r.result.ok ? r.result.payload : r.result.error])).toEqual([
      ["in-flight", "done-by-first"],
      ["later", "done-by-second"],
    ]);
    expect(firstHandled).toEqual(["in-flight"]);
  });

  test("stop() with a grace period aborts a task that outlasts it and releases it to another processor", async () => {
    const runId = newRunId();
    const queue = await impl.open(runId);
    const started = deferred();
    let sawAbort = false;
    const stuck = await queue.process(
      "executor",
      async (_t, ctx) => {
        started.resolve();
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
        sawAbort = true;
        throw new Error("aborted");
      },
      { concurrency: 1 },
    );
    await queue.submit(task(runId, "long"));
    await started.promise;
    await stuck.stop({ graceMs: 50 });
    expect(sawAbort).toBe(true);
    await queue.process("executor", async () => "redone", { concurrency: 1 });
    const [delivered] = await collect(queue, 1);
    expect(delivered?.result).toMatchObject({ taskId: "long", ok: true, payload: "redone" });
  });

  test("results after a position yield only the results logged after it", async () => {
    const runId = newRunId();
    const queue = await impl.open(runId);
    await queue.process("executor", async (t) => t.taskId, { concurrency: 1 });
    for (const id of ["p1", "p2", "p3"]) await queue.submit(task(runId, id));
    const all = (await collect(queue, 3)).sort((a, b) => a.position - b.position);
    const second = all[1];
    if (!second) throw new Error("expected three results");
    const rest = await collect(queue, 1, second.position);
    expect(rest.map((r) => r.result.taskId)).toEqual([all[2]?.result.taskId]);
  });

  test("an invalid task is refused at submit with every problem named", async () => {
    const runId = newRunId();
    const queue = await impl.open(runId);
    const bad = { v: 1, runId, taskId: "has space", role: "judge", kind: "", payload: null } as unknown as TaskEnvelope;
    const err = await queue.submit(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path).sort()).toEqual(["kind", "role", "taskId"]);
  });

  test("a task for another run is refused at submit", async () => {
    const queue = await impl.open(newRunId());
    await expect(queue.submit(task("some-other-run", "t"))).rejects.toBeInstanceOf(RunMismatchError);
  });
});

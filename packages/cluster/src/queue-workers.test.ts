import type { RunGraphRequest, Trace } from "@maspo/core";
import { afterEach, describe, expect, it } from "vitest";
import { TaskFailedResultError, startQueueWorkers } from "./queue-workers.js";
import { createInProcessWorkQueue } from "./transport/in-process-work-queue.js";
import type { TaskHandler, WorkQueue } from "./transport/work-queue.js";

describe("TaskFailedResultError", () => {
  it("types the worker's code when the catalogue has it, and keeps the record's string either way", () => {
    const known = new TaskFailedResultError("runGraph", "t1", { code: "E_LLM_HTTP", message: "401", retryable: false }, 1);
    expect(known.code).toBe("E_CLUSTER_TASK");
    expect(known.workerCode).toBe("E_LLM_HTTP");
    const foreign = new TaskFailedResultError("runGraph", "t2", { code: "E_FROM_A_NEWER_WORKER", message: "?", retryable: false }, 3);
    expect(foreign.workerCode).toBeUndefined();
    expect(foreign.taskError.code).toBe("E_FROM_A_NEWER_WORKER");
    expect(foreign.message).toBe("runGraph task t2 failed after 3 attempts: E_FROM_A_NEWER_WORKER: ?");
  });
});

// ------------------------------------------------------------ what the coordinator keeps per task

const USAGE_ROW = {
  endpointId: "m",
  model: "m-1",
  role: "serving" as const,
  calls: 1,
  failedAttempts: 0,
  retries: 0,
  promptTokens: 10,
  completionTokens: 5,
  costUsd: 0.001,
  cacheHits: 0,
};

/** A one-agent trace answering the example: what an executor would return, without an LLM. */
function traceFor(request: RunGraphRequest): Trace {
  const output = `answer to ${request.example.input}`;
  return {
    exampleId: request.example.id,
    steps: {
      a: {
        agentId: "a",
        prompt: request.prompts.a ?? "",
        context: request.example.input,
        output,
        status: "ok",
        usage: { promptTokens: 10, completionTokens: 5 },
        cached: false,
        latencyMs: 0,
      },
    },
    executed: ["a"],
    finalAgent: "a",
    finalOutput: output,
  };
}

const requestFor = (i: number): RunGraphRequest => ({ prompts: { a: "You answer." }, example: { id: `e${i}`, input: `${i} + ${i}` } });

/** The in-process queue, counting the results it is asked to read back from its log. */
function countingQueue(queue: WorkQueue): WorkQueue & { readBack: number[] } {
  const readBack: number[] = [];
  return {
    readBack,
    runId: queue.runId,
    submit: (task) => queue.submit(task),
    results: (options) => queue.results(options),
    resultAt(position) {
      readBack.push(position);
      return queue.resultAt(position);
    },
    rejectResult: (delivered, reason) => queue.rejectResult(delivered, reason),
    process: (role, handler, options) => queue.process(role, handler, options),
    close: () => queue.close(),
  };
}

const queues: WorkQueue[] = [];
afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.close()));
});

/** An executor that answers each task once it is let go (`release`), counting the tasks it ran. */
async function heldExecutor() {
  const queue = createInProcessWorkQueue({ runId: "bound" });
  queues.push(queue);
  const ran: string[] = [];
  let open = (): void => undefined;
  let gate = new Promise<void>((resolve) => (open = resolve));
  const handler: TaskHandler = async (task) => {
    ran.push(task.taskId);
    await gate;
    return { value: traceFor(task.payload as RunGraphRequest), usage: { rows: [USAGE_ROW] } };
  };
  // Room for every task of a window at once, so a window is all in flight before it is let go.
  await queue.process("executor", handler, { concurrency: 32 });
  return {
    queue,
    ran,
    release: () => {
      open();
      gate = new Promise<void>((resolve) => (open = resolve));
    },
  };
}

describe("the coordinator's workers over a long run", () => {
  it("hold a payload only while its task is awaited: after N tasks they keep one log position each, and a finished task asked again is read back from the log", async () => {
    const executor = await heldExecutor();
    const queue = countingQueue(executor.queue);
    const workers = startQueueWorkers({ queue });
    const window = 25;
    const rounds = 12;
    const first: Trace[] = [];
    for (let r = 0; r < rounds; r++) {
      const asked = Array.from({ length: window }, (_, i) => workers.runGraph(requestFor(r * window + i)));
      // Every task of the window is submitted and none answered: exactly the window is awaited.
      await expect.poll(() => executor.ran.length).toBe((r + 1) * window);
      expect(workers.retained()).toEqual({ awaited: window, indexed: r * window, submittedHere: window });
      executor.release();
      const traces = await Promise.all(asked);
      if (r === 0) first.push(...traces);
      // Answered: nothing of the window is held but where its results are.
      expect(workers.retained()).toEqual({ awaited: 0, indexed: (r + 1) * window, submittedHere: 0 });
    }
    expect(queue.readBack).toEqual([]);

    // The first round's tasks, asked again long after: no task runs, each answer comes back from the log.
    const again = await Promise.all(Array.from({ length: window }, (_, i) => workers.runGraph(requestFor(i))));
    expect(again).toEqual(first);
    expect(executor.ran).toHaveLength(rounds * window);
    expect(queue.readBack).toEqual(Array.from({ length: window }, (_, i) => i + 1));
    // Asked again, a task's LLM use counts as cache hits, as the embedded mode's response cache would.
    expect(workers.usage()).toMatchObject({ calls: rounds * window, cacheHits: window });
    expect(workers.retained()).toEqual({ awaited: 0, indexed: rounds * window, submittedHere: 0 });
  });

  it("resumed over the same results log, answer the tasks its earlier coordinator finished without running them again", async () => {
    const executor = await heldExecutor();
    const earlier = startQueueWorkers({ queue: executor.queue });
    const asked = Promise.all([0, 1, 2].map((i) => earlier.runGraph(requestFor(i))));
    await expect.poll(() => executor.ran.length).toBe(3);
    executor.release();
    const done = await asked;

    const queue = countingQueue(executor.queue);
    const resumed = startQueueWorkers({ queue });
    // The earlier coordinator's results are read from the log's start (a task asked before its result
    // is read is awaited instead, and answered by the same result: no task runs either way).
    await expect.poll(() => resumed.resultsRead).toBe(3);
    const redone = await Promise.all([0, 1, 2].map((i) => resumed.runGraph(requestFor(i))));
    expect(redone).toEqual(done);
    expect(executor.ran).toHaveLength(3);
    expect([...queue.readBack].sort()).toEqual([1, 2, 3]);
    expect(resumed.retained()).toEqual({ awaited: 0, indexed: 3, submittedHere: 0 });
  });
});

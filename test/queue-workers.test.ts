/**
 * The cluster's EngineWorkers over the in-process WorkQueue (the same contract as JetStream): the
 * answers equal direct calls, identical requests share a task, and failures come back typed.
 */
import { createHash } from "node:crypto";
import { ResponseCacheError, parseLlmEndpoints } from "@maspo/llm";
import {
  TaskFailedError,
  TaskFailedResultError,
  InvalidResultError,
  createInProcessWorkQueue,
  createTaskHandler,
  startQueueWorkers,
  type TaskHandler,
  type WorkQueue,
} from "@maspo/cluster";
import { type AgentGraph, type LlmCallRequest, type LlmCaller, type WorkerContext, usageTotalsOf } from "@maspo/core";
import { runGraphTask } from "@maspo/executor";
import { TASK_ADAPTERS } from "@maspo/run";
import { afterEach, describe, expect, it } from "vitest";

const graph: AgentGraph = {
  final: "b",
  agents: [
    { id: "a", role: "first", predecessors: [], model: "m" },
    { id: "b", role: "second", predecessors: ["a"], model: "m" },
  ],
};
const endpoints = parseLlmEndpoints([
  {
    id: "m",
    baseURL: "https://llm.invalid/v1",
    model: "m-1",
    apiKeyEnv: "K",
    price: { inputPerMTok: 1, outputPerMTok: 2 },
    concurrency: 4,
    timeoutMs: 1000,
    maxRetries: 0,
  },
]);

/** Answers with a digest of what it was asked: deterministic, and different for different requests. */
function digestLlm(calls: LlmCallRequest[] = []): LlmCaller {
  return {
    complete(request) {
      calls.push(request);
      const text = request.messages.map((m) => m.content).join("|");
      return Promise.resolve({
        content: `out-${createHash("sha256").update(text).digest("hex").slice(0, 8)}`,
        finishReason: "stop",
        usage: { promptTokens: 10, completionTokens: 5 },
        cached: false,
      });
    },
  };
}

const context = (llm: LlmCaller): WorkerContext => ({
  graph,
  llm,
  seed: 7,
  judgeModels: { local: "m", lookahead: "m", global: "m" },
  optimizer: { model: "m", temperature: 0.7 },
});

const request = { prompts: { a: "You are first.", b: "You are second." }, example: { id: "e1", input: "2 + 2" } };

const queues: WorkQueue[] = [];
afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.close()));
});

async function clusterWith(handler: TaskHandler) {
  const queue = createInProcessWorkQueue({ runId: "unit", settings: { backoffMs: [0], maxDeliver: 2 } });
  queues.push(queue);
  await queue.process("executor", handler, { concurrency: 2 });
  return startQueueWorkers({ queue });
}

const adapters = TASK_ADAPTERS;

describe("cluster workers", () => {
  it("answer a runGraph request exactly as the direct call does, and count its LLM use once", async () => {
    const calls: LlmCallRequest[] = [];
    const workers = await clusterWith(createTaskHandler({ role: "executor", adapters, context: context(digestLlm(calls)), endpoints }));
    const viaQueue = await workers.runGraph(request);
    const direct = await runGraphTask(context(digestLlm()), request);
    expect({ ...viaQueue, steps: {} }).toEqual({ ...direct, steps: {} });
    expect(Object.values(viaQueue.steps).map((s) => s.output)).toEqual(Object.values(direct.steps).map((s) => s.output));
    expect(workers.usage()).toEqual({ calls: 2, tokens: 30, usd: (20 * 1 + 10 * 2) / 1e6, cacheHits: 0, retries: 0, failedAttempts: 0 });
    expect(calls).toHaveLength(2);
  });

  it("run identical requests asked at once, or again later, as one task", async () => {
    const calls: LlmCallRequest[] = [];
    const workers = await clusterWith(createTaskHandler({ role: "executor", adapters, context: context(digestLlm(calls)), endpoints }));
    const [x, y] = await Promise.all([workers.runGraph(request), workers.runGraph(structuredClone(request))]);
    const z = await workers.runGraph(request);
    expect(y).toEqual(x);
    expect(z).toEqual(x);
    expect(calls).toHaveLength(2);
  });

  it("resubmit a task whose error result says retryable, under a new id, and succeed", async () => {
    const seen: string[] = [];
    const inner = createTaskHandler({ role: "executor", adapters, context: context(digestLlm()), endpoints });
    const workers = await clusterWith((task, ctx) => {
      seen.push(task.taskId);
      if (seen.length <= 2) throw new TaskFailedError("E_LLM_EXHAUSTED", "upstream outage", { retryable: true });
      return inner(task, ctx);
    });
    const trace = await workers.runGraph(request);
    expect(trace.finalAgent).toBe("b");
    // Two deliveries of the first id (maxDeliver 2) end in an error result; the second id succeeds.
    expect(seen[0]).toBe(seen[1]);
    expect(seen[2]).toBe(`${seen[0]}.r2`);
  });

  it("redo a task whose LLM call failed transiently, instead of returning the failure the executor absorbed", async () => {
    let failures = 1;
    const flaky: LlmCaller = {
      complete(req) {
        if (failures-- > 0) return Promise.reject(new ResponseCacheError("cache unreachable (NATS restarting)"));
        return digestLlm().complete(req);
      },
    };
    const workers = await clusterWith(createTaskHandler({ role: "executor", adapters, context: context(flaky), endpoints }));
    const trace = await workers.runGraph(request);
    const clean = await runGraphTask(context(digestLlm()), request);
    expect(Object.values(trace.steps).map((s) => [s.status, s.output])).toEqual(
      Object.values(clean.steps).map((s) => [s.status, s.output]),
    );
  });

  it("reject with TaskFailedResultError naming the worker's code when a task fails for good", async () => {
    const workers = await clusterWith(() => Promise.reject(new TaskFailedError("E_LLM_HTTP", "cannot do this", { retryable: false })));
    const err = await workers.runGraph(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedResultError);
    expect((err as TaskFailedResultError).taskError.code).toBe("E_LLM_HTTP");
    expect((err as Error).message).toContain("cannot do this");
  });

  it("dead-letter a result that fails validation and retry the task under a fresh id, never failing the run for it", async () => {
    const queue = createInProcessWorkQueue({ runId: "unit", settings: { backoffMs: [0], maxDeliver: 2 } });
    queues.push(queue);
    const inner = createTaskHandler({ role: "executor", adapters, context: context(digestLlm()), endpoints });
    const seen: string[] = [];
    await queue.process(
      "executor",
      (task, ctx) => {
        seen.push(task.taskId);
        // The first answer is well-formed on the bus but not a trace: what a forger or a buggy worker sends.
        return seen.length === 1 ? Promise.resolve({ value: { forged: true }, usage: { rows: [] } }) : inner(task, ctx);
      },
      { concurrency: 1 },
    );
    const events: string[] = [];
    const workers = startQueueWorkers({ queue, onEvent: (e) => events.push(e.type) });
    const trace = await workers.runGraph(request);
    expect(trace.finalAgent).toBe("b");
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(`${seen[0]}.inv1`);
    expect(events).toContain("invalid-result");
    expect(queue.deadLetters).toEqual([{ taskId: seen[0], reason: expect.stringMatching(/^invalid result: /) as unknown }]);
  });

  it("give up with E_TASK_RESULT naming the task and the reason once every fresh id got an invalid result", async () => {
    const queue = createInProcessWorkQueue({ runId: "unit" });
    queues.push(queue);
    await queue.process("executor", () => Promise.resolve({ value: 42, usage: { rows: [] } }), { concurrency: 1 });
    const workers = startQueueWorkers({ queue, invalidRetries: 2 });
    const err = await workers.runGraph(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidResultError);
    expect((err as InvalidResultError).code).toBe("E_TASK_RESULT");
    expect((err as Error).message).toMatch(/^runGraph task runGraph\.[0-9a-f]+\.inv1\.inv2: 3 results in a row failed validation/);
    expect(queue.deadLetters).toHaveLength(3);
  });

  it("ask a non-retryable failure again under a fresh id: one not reproduced is dead-lettered, one reproduced fails the run", async () => {
    const queue = createInProcessWorkQueue({ runId: "unit" });
    queues.push(queue);
    const inner = createTaskHandler({ role: "executor", adapters, context: context(digestLlm()), endpoints });
    let calls = 0;
    await queue.process(
      "executor",
      (task, ctx) =>
        ++calls === 1 ? Promise.reject(new TaskFailedError("E_LLM_HTTP", "forged refusal", { retryable: false })) : inner(task, ctx),
      { concurrency: 1 },
    );
    const workers = startQueueWorkers({ queue });
    expect((await workers.runGraph(request)).finalAgent).toBe("b");
    expect(calls).toBe(2);
    expect(queue.deadLetters.map((d) => d.reason)).toEqual([
      expect.stringMatching(/^failure E_LLM_HTTP not reproduced by a fresh attempt/),
    ]);

    const failing = await clusterWith(() => Promise.reject(new TaskFailedError("E_LLM_HTTP", "key refused", { retryable: false })));
    const err = await failing.runGraph(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedResultError);
    expect((err as TaskFailedResultError).taskId).toMatch(/\.confirm$/);
  });

  it("spread an evaluation over evaluateShard tasks of evaluationShardSize examples, folded into what one evaluate task gives, for the same calls", async () => {
    const minibatch = ["2 + 2", "3 + 5", "7 + 1"].map((input, i) => ({ id: `e${i + 1}`, input }));
    const baseTraces = await Promise.all(
      minibatch.map((example) => runGraphTask(context(digestLlm()), { prompts: request.prompts, example })),
    );
    const evaluation = {
      agentId: "a",
      candidate: "You are first. Show each step.",
      reference: request.prompts.a,
      prompts: request.prompts,
      minibatch,
      baseTraces,
      weights: { local: 0.25, lookahead: 0.35, global: 0.4 },
      lookahead: true,
    };
    const evaluateWith = async (evaluationShardSize: number) => {
      const queue = createInProcessWorkQueue({ runId: `shards-${evaluationShardSize}` });
      queues.push(queue);
      const handler = createTaskHandler({ role: "evaluator", adapters, context: context(digestLlm()), endpoints });
      await queue.process("evaluator", handler, { concurrency: 4 });
      const submitted: string[] = [];
      const workers = startQueueWorkers({ queue, evaluationShardSize, onEvent: (e) => e.type === "submitted" && submitted.push(e.taskId) });
      const value = await workers.evaluate(evaluation);
      return { value, kinds: submitted.map((id) => id.split(".")[0]), calls: workers.usage().calls };
    };
    const whole = await evaluateWith(3);
    const sharded = await evaluateWith(1);
    expect(whole.kinds).toEqual(["evaluate"]);
    expect(sharded.kinds).toEqual(["evaluateShard", "evaluateShard", "evaluateShard"]);
    expect(sharded.value).toStrictEqual(whole.value);
    expect(sharded.calls).toBe(whole.calls);
    expect(whole.calls).toBeGreaterThan(0);
  });

  it("refuse an invalid request at the worker with every problem named", async () => {
    const workers = await clusterWith(createTaskHandler({ role: "executor", adapters, context: context(digestLlm()), endpoints }));
    const bad = { prompts: { a: 1 }, example: { input: "x" } } as unknown as typeof request;
    const err = await workers.runGraph(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedResultError);
    expect((err as TaskFailedResultError).taskError.code).toBe("E_TASK_PAYLOAD");
    expect((err as Error).message).toMatch(/prompts\.a.*example\.id|example\.id.*prompts\.a/);
  });

  it("refuse a task of a kind the worker's role does not run", async () => {
    const queue = createInProcessWorkQueue({ runId: "unit" });
    queues.push(queue);
    await queue.process("mutator", createTaskHandler({ role: "mutator", adapters, context: context(digestLlm()), endpoints }), {
      concurrency: 1,
    });
    await queue.submit({ v: 1, runId: "unit", taskId: "t1", role: "mutator", kind: "runGraph", payload: request });
    for await (const { result } of queue.results()) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatchObject({ code: "E_TASK_KIND", retryable: false });
      break;
    }
  });
});

describe("cluster workers resumed with a checkpoint's spend", () => {
  const other = { ...request, example: { id: "e2", input: "3 + 3" } };
  async function queueWithExecutor(): Promise<WorkQueue> {
    const queue = createInProcessWorkQueue({ runId: "unit" });
    queues.push(queue);
    await queue.process("executor", createTaskHandler({ role: "executor", adapters, context: context(digestLlm()), endpoints }), {
      concurrency: 2,
    });
    return queue;
  }

  it("over a results log read again from its start (JetStream's): what the checkpoint counted is not counted twice", async () => {
    const queue = await queueWithExecutor();
    const uninterrupted = startQueueWorkers({ queue });
    await uninterrupted.runGraph(request);
    const spend = uninterrupted.spend(); // what a checkpoint after the first task holds
    expect(spend.resultsPosition).toBe(1);
    await uninterrupted.runGraph(other); // done while the coordinator was down

    const resumed = startQueueWorkers({ queue, carried: spend });
    expect(resumed.usage()).toEqual(usageTotalsOf(spend.usage)); // from the start, before the log is read
    await resumed.runGraph(other); // the redone step: its result is in the log
    expect(resumed.usage()).toMatchObject({ calls: 4, tokens: 60, usd: uninterrupted.usage().usd });
    expect(resumed.usage().calls).toBe(uninterrupted.usage().calls);
    expect(resumed.spend().resultsPosition).toBe(2);
  });

  it("over a results log that starts empty (the embedded mode's): the checkpoint's spend plus everything since", async () => {
    const first = startQueueWorkers({ queue: await queueWithExecutor() });
    await first.runGraph(request);
    const resumed = startQueueWorkers({ queue: await queueWithExecutor(), carried: { usage: first.spend().usage, resultsPosition: 0 } });
    expect(resumed.usage()).toEqual(first.usage());
    await resumed.runGraph(other);
    expect(resumed.usage()).toMatchObject({ calls: 4, tokens: 60, usd: (2 * (20 * 1 + 10 * 2)) / 1e6 });
  });
});

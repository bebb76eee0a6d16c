/**
 * The embedded WorkQueue: the same contract as JetStream (bounded concurrency per processor,
 * retries with backoff and jitter, dedupe by task id, graceful stop) inside one process, no NATS.
 * Tasks still go through the codec, so a payload that would not survive the wire fails here too.
 */
import { decodeResult, decodeTask, encode, validate } from "../codec.js";
import type { WorkerRole } from "@maspo/core";
import { TaskEnvelopeSchema, type ResultEnvelope, type TaskEnvelope } from "../messages.js";
import { checkRunId } from "../subjects.js";
import { describeFailure, retryDelayMs, shouldRetry, sharedAbortController } from "./task-failure.js";
import { RunMismatchError, WorkQueueClosedError } from "./transport-errors.js";
import {
  parseWorkQueueSettings,
  type DeliveredResult,
  type ProcessHandle,
  type ProcessOptions,
  type ResultsOptions,
  type StopOptions,
  type TaskHandler,
  type WorkQueue,
  type WorkQueueObserver,
  type WorkQueueSettings,
  type WorkQueueSettingsInput,
} from "./work-queue.js";

export interface InProcessWorkQueueOptions {
  runId: string;
  settings?: WorkQueueSettingsInput;
  observer?: WorkQueueObserver;
}

interface QueuedTask {
  taskId: string;
  bytes: Uint8Array;
  /** Deliveries so far; the next one is deliveryCount + 1. */
  deliveryCount: number;
}

interface Processor {
  role: WorkerRole;
  handler: TaskHandler;
  concurrency: number;
  inFlight: number;
  stopping: boolean;
  abort: AbortController;
  idle: (() => void)[];
}

/** The embedded queue, whose dead letters (results the reader refused) are kept in memory. */
export interface InProcessQueue extends WorkQueue {
  readonly deadLetters: readonly { taskId: string; reason: string }[];
}

export function createInProcessWorkQueue(options: InProcessWorkQueueOptions): InProcessQueue {
  return new InProcessWorkQueue(options);
}

class InProcessWorkQueue implements WorkQueue {
  readonly runId: string;
  private readonly settings: WorkQueueSettings;
  private readonly observer: WorkQueueObserver;
  private readonly submitted = new Set<string>();
  private readonly ready = new Map<WorkerRole, QueuedTask[]>();
  private readonly processors = new Map<WorkerRole, Processor[]>();
  private readonly nextProcessor = new Map<WorkerRole, number>();
  private readonly log: Uint8Array[] = [];
  private readonly logWaiters = new Set<() => void>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(options: InProcessWorkQueueOptions) {
    this.runId = checkRunId(options.runId);
    this.settings = parseWorkQueueSettings(options.settings);
    this.observer = options.observer ?? (() => {});
  }

  submit(task: TaskEnvelope): Promise<void> {
    if (this.closed) return Promise.reject(new WorkQueueClosedError("submit a task"));
    try {
      const valid = validate(TaskEnvelopeSchema, task, "task envelope");
      if (valid.runId !== this.runId) throw new RunMismatchError(this.runId, valid.runId);
      if (this.submitted.has(valid.taskId)) return Promise.resolve();
      this.submitted.add(valid.taskId);
      this.queueFor(valid.role).push({ taskId: valid.taskId, bytes: encode(valid), deliveryCount: 0 });
      this.pump(valid.role);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  async *results(options: ResultsOptions = {}): AsyncIterable<DeliveredResult> {
    const seen = new Set<string>();
    let index = Math.max(0, options.after ?? 0);
    for (;;) {
      const bytes = this.log[index];
      if (bytes !== undefined) {
        index++;
        const result = decodeResult(bytes);
        if (seen.has(result.taskId)) continue;
        seen.add(result.taskId);
        yield { result, position: index };
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => this.logWaiters.add(resolve));
    }
  }

  resultAt(position: number): Promise<ResultEnvelope | undefined> {
    // Positions count from 1: results() yields the entry at index i as position i + 1.
    const bytes = Number.isInteger(position) && position >= 1 ? this.log[position - 1] : undefined;
    try {
      return Promise.resolve(bytes === undefined ? undefined : decodeResult(bytes));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Results refused by the reader, with their reasons: the embedded mode's dead letters (memory only). */
  readonly deadLetters: { taskId: string; reason: string }[] = [];

  rejectResult(delivered: DeliveredResult, reason: string): Promise<void> {
    this.deadLetters.push({ taskId: delivered.result.taskId, reason });
    this.observer({ type: "dead-lettered", role: "results", reason });
    return Promise.resolve();
  }

  process(role: WorkerRole, handler: TaskHandler, options: ProcessOptions): Promise<ProcessHandle> {
    if (this.closed) return Promise.reject(new WorkQueueClosedError("start a processor"));
    const processor: Processor = {
      role,
      handler,
      concurrency: Math.max(1, Math.floor(options.concurrency)),
      inFlight: 0,
      stopping: false,
      abort: sharedAbortController(),
      idle: [],
    };
    const list = this.processors.get(role) ?? [];
    list.push(processor);
    this.processors.set(role, list);
    this.pump(role);
    return Promise.resolve({
      stop: (stopOptions?: StopOptions) => this.stopProcessor(processor, stopOptions),
      get inFlight() {
        return processor.inFlight;
      },
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const all = [...this.processors.values()].flat();
    await Promise.all(all.map((p) => this.stopProcessor(p)));
    this.closed = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    this.wakeResultReaders();
  }

  private async stopProcessor(processor: Processor, options: StopOptions = {}): Promise<void> {
    processor.stopping = true;
    if (processor.inFlight > 0) {
      const idle = new Promise<void>((resolve) => processor.idle.push(resolve));
      if (options.graceMs === undefined) {
        await idle;
      } else {
        let timer: NodeJS.Timeout | undefined;
        const graceOver = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, options.graceMs);
        });
        await Promise.race([idle, graceOver]);
        clearTimeout(timer);
        processor.abort.abort(new WorkQueueClosedError("finish the task"));
        await idle;
      }
    }
    const list = this.processors.get(processor.role) ?? [];
    this.processors.set(
      processor.role,
      list.filter((p) => p !== processor),
    );
    // Work this processor released goes to the role's other processors.
    this.pump(processor.role);
  }

  private queueFor(role: WorkerRole): QueuedTask[] {
    let queue = this.ready.get(role);
    if (!queue) {
      queue = [];
      this.ready.set(role, queue);
    }
    return queue;
  }

  /** Hands queued tasks to processors with a free slot, round-robin, so replicas share the load. */
  private pump(role: WorkerRole): void {
    const queue = this.queueFor(role);
    const processors = this.processors.get(role) ?? [];
    while (queue.length > 0) {
      const start = this.nextProcessor.get(role) ?? 0;
      let chosen: Processor | undefined;
      for (let i = 0; i < processors.length; i++) {
        const candidate = processors[(start + i) % processors.length];
        if (candidate && !candidate.stopping && candidate.inFlight < candidate.concurrency) {
          chosen = candidate;
          this.nextProcessor.set(role, (start + i + 1) % processors.length);
          break;
        }
      }
      if (!chosen) return;
      const task = queue.shift();
      if (!task) return;
      void this.run(chosen, task);
    }
  }

  private async run(processor: Processor, queued: QueuedTask): Promise<void> {
    processor.inFlight++;
    const deliveryCount = queued.deliveryCount + 1;
    const role = processor.role;
    const task = decodeTask(queued.bytes);
    this.observer({ type: "task-started", role, taskId: task.taskId, deliveryCount });
    const started = performance.now();
    try {
      const payload = await Promise.resolve().then(() =>
        processor.handler(task, { signal: processor.abort.signal, working: () => {}, deliveryCount }),
      );
      this.appendResult({ v: 1, runId: this.runId, taskId: task.taskId, role, ok: true, payload });
      this.observer({ type: "task-completed", role, taskId: task.taskId, ok: true, durationMs: performance.now() - started });
    } catch (err) {
      const error = describeFailure(err);
      if (processor.abort.signal.aborted) {
        // A release is not a failed attempt: it does not use up one of maxDeliver.
        this.queueFor(role).unshift(queued);
        this.observer({ type: "task-released", role, taskId: task.taskId });
      } else if (shouldRetry(error, deliveryCount, this.settings.maxDeliver)) {
        const delayMs = retryDelayMs(this.settings, task.taskId, deliveryCount);
        this.observer({ type: "task-retry", role, taskId: task.taskId, deliveryCount, delayMs, error: error.message });
        const timer = setTimeout(() => {
          this.retryTimers.delete(timer);
          this.queueFor(role).push({ ...queued, deliveryCount });
          this.pump(role);
        }, delayMs);
        this.retryTimers.add(timer);
      } else {
        this.appendResult({ v: 1, runId: this.runId, taskId: task.taskId, role, ok: false, error });
        this.observer({ type: "task-completed", role, taskId: task.taskId, ok: false, durationMs: performance.now() - started });
      }
    } finally {
      processor.inFlight--;
      if (processor.inFlight === 0) for (const resolve of processor.idle.splice(0)) resolve();
      this.pump(role);
    }
  }

  private appendResult(result: ResultEnvelope): void {
    this.log.push(encode(result));
    this.wakeResultReaders();
  }

  private wakeResultReaders(): void {
    const waiters = [...this.logWaiters];
    this.logWaiters.clear();
    for (const wake of waiters) wake();
  }
}

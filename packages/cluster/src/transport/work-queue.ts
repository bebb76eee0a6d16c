/**
 * The WorkQueue: how the coordinator hands tasks to executor, evaluator and mutator workers and
 * gets their results back. Two implementations share this contract and its tests: in-process (the
 * embedded default) and NATS JetStream (cluster mode).
 *
 * Delivery is at-least-once; task ids make it effectively once: a task id submitted twice is queued
 * once, and the results side drops a second result for a task id it already yielded.
 */
import { z } from "zod";
import { validate } from "../codec.js";
import { ReplicasSchema, type WorkerRole } from "@maspo/core";
import type { ResultEnvelope, TaskEnvelope } from "../messages.js";

/**
 * Delivery settings. The run spec's `cluster` section (ClusterSettings) parses as-is; a single
 * number for `backoffMs` is accepted as the first step of a doubling schedule.
 */
export const WorkQueueSettingsSchema = z.object({
  /**
   * A delivered task not acked (nor `working()`) within this time goes to another worker: short, so a
   * killed worker's task comes back soon; processors heartbeat every task they hold every ackWait/3.
   */
  ackWaitMs: z.number().int().min(1).default(10_000),
  /** Deliveries of one task before a retryable failure becomes a final error result. */
  maxDeliver: z.number().int().min(1).default(5),
  /** Cluster-wide cap on tasks delivered but not yet acked, per role. */
  maxAckPending: z.number().int().min(1).default(256),
  /**
   * Retry delays after a retryable failure: entry n-1 before retry n; past the end the last delay
   * keeps doubling up to maxBackoffMs. Each delay gets jitter (between half and all of it).
   */
  backoffMs: z
    .union([z.number().int().min(0), z.array(z.number().int().min(0)).min(1)])
    .default([1_000, 5_000, 15_000])
    .transform((b) => (typeof b === "number" ? [b] : b)),
  maxBackoffMs: z.number().int().min(0).default(60_000),
  /** How long the server remembers a task id to drop a duplicate submission (JetStream only). */
  duplicateWindowMs: z.number().int().min(1000).default(120_000),
  /** Copies of each of the run's streams (JetStream only); absent, the default for the cluster (nats/replicas.ts). */
  replicas: ReplicasSchema.optional(),
});
export type WorkQueueSettings = z.infer<typeof WorkQueueSettingsSchema>;
export type WorkQueueSettingsInput = z.input<typeof WorkQueueSettingsSchema>;

export function parseWorkQueueSettings(input: WorkQueueSettingsInput = {}): WorkQueueSettings {
  return validate(WorkQueueSettingsSchema, input, "work queue settings");
}

export interface TaskContext {
  /** Aborted when the worker is stopping past its grace period: give up, the task is released. */
  signal: AbortSignal;
  /** Tells the queue the task is still being worked on. JetStream also sends this on a timer. */
  working(): void;
  /** 1 on first delivery; higher after a redelivery or retry. */
  deliveryCount: number;
}

/** Does the task and returns the result payload. Throw to fail; see TaskFailedError for retryable failures. */
export type TaskHandler = (task: TaskEnvelope, ctx: TaskContext) => Promise<unknown>;

export interface ProcessOptions {
  /** Tasks this processor runs at once. */
  concurrency: number;
}

export interface StopOptions {
  /** How long in-flight tasks may run after stop(); then they are aborted and released. Default: no limit. */
  graceMs?: number;
}

export interface ProcessHandle {
  /** Stop taking work, let in-flight tasks finish (or release them after graceMs), then detach. */
  stop(options?: StopOptions): Promise<void>;
  readonly inFlight: number;
}

export interface DeliveredResult {
  result: ResultEnvelope;
  /**
   * Where this result sits in the run's results log, for a reader that wants to go on from there
   * (`results({ after: position })`) or to read it back (`resultAt`). The coordinator reads from the
   * start instead, and keeps positions: see queue-workers.ts.
   */
  position: number;
}

export interface ResultsOptions {
  /** Yield only results after this position (0, the default, yields all). */
  after?: number;
}

/** What happened inside a queue: the hook for metrics and logs. Never carries payloads. */
export type WorkQueueEvent =
  | { type: "task-started"; role: WorkerRole; taskId: string; deliveryCount: number }
  | { type: "task-completed"; role: WorkerRole; taskId: string; ok: boolean; durationMs: number }
  | { type: "task-retry"; role: WorkerRole; taskId: string; deliveryCount: number; delayMs: number; error: string }
  | { type: "task-released"; role: WorkerRole; taskId: string }
  | { type: "duplicate-dropped"; role: WorkerRole; taskId: string }
  | { type: "dead-lettered"; role: WorkerRole | "results"; reason: string }
  | { type: "consumer-restarted"; role: WorkerRole | "results"; reason: string }
  | { type: "transport-error"; context: string; error: unknown };

export type WorkQueueObserver = (event: WorkQueueEvent) => void;

export interface WorkQueue {
  readonly runId: string;
  /** Queues a task; a task id already submitted is not queued again. */
  submit(task: TaskEnvelope): Promise<void>;
  /** Results in log order, each task id at most once. Ends when the queue is closed. */
  results(options?: ResultsOptions): AsyncIterable<DeliveredResult>;
  /**
   * The result stored at `position` of the results log (a DeliveredResult's), read back as results()
   * yielded it; undefined when the log holds nothing there. The coordinator keeps where a result is,
   * not the result: a task asked again long after it finished is answered from here.
   */
  resultAt(position: number): Promise<ResultEnvelope | undefined>;
  /**
   * Records a result the reader refused (it failed validation) in the run's dead letters, with the
   * reason; the log keeps the original. Never throws: a record that cannot be written is reported
   * to the observer (the refusal itself does not depend on it).
   */
  rejectResult(delivered: DeliveredResult, reason: string): Promise<void>;
  /** Runs `handler` on tasks for `role`; many processors (replicas) may share a role. */
  process(role: WorkerRole, handler: TaskHandler, options: ProcessOptions): Promise<ProcessHandle>;
  /** Stops every processor gracefully and ends every results iterator. */
  close(): Promise<void>;
}

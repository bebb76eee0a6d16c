/**
 * The cluster WorkQueue on NATS JetStream.
 *
 * - Tasks go to the run's work-queue stream on `maspo.<runId>.work.<role>`, published with
 *   msgID = taskId so the server drops a duplicate submission within the duplicate window.
 * - All replicas of a role pull from ONE durable consumer; each processor runs
 *   consume({max_messages: concurrency}) behind a semaphore, heartbeats `working()` every ackWait/3,
 *   publishes the result and only then acks. Processors of several queues (a pool worker's runs) may
 *   share one set of task slots: each then pulls one task at a time, heartbeats it while it waits for
 *   a slot, and the slots' FIFO order interleaves the runs. Retryable failures are nak'ed with exponential backoff and
 *   jitter; on the last allowed delivery they become an error result. Poison messages are copied to the
 *   dead-letter stream with their reason, then term()ed (2.9 ignores a term reason, hence the copy).
 *   A task that reached maxDeliver without any ack (its workers died) becomes an error result too.
 * - Results go to the run's results log (a limits stream, not a work queue): the coordinator reads it
 *   from its start with an ordered consumer (see queue-workers.ts: task ids are content hashes, so a
 *   resumed step may ask again for work finished long before), so a restarted coordinator gets every
 *   result, including those that arrived while it was down; it keeps where each one is and reads it
 *   back by sequence (resultAt) when its task is asked again.
 */
import {
  DeliverPolicy,
  jetstream,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { headers, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { z } from "zod";
import { CodecError, decodeResult, decodeTask, encode, validate } from "../codec.js";
import { WORKER_ROLES, type WorkerRole } from "@maspo/core";
import { TaskEnvelopeSchema, type ResultEnvelope, type TaskEnvelope } from "../messages.js";
import { ensureServerCompat } from "../nats/server-compat.js";
import { checkRunId, deadLetterSubject, resultSubject, runStreamNames, workConsumerName, workSubject } from "../subjects.js";
import { withJetStreamRetry } from "../nats/jetstream-retry.js";
import { publishWithRetry } from "./jetstream-publish.js";
import { CONSUMER_IDLE_HEARTBEAT_MS, ensureRunStreams, ensureWorkConsumer, withReplicas } from "./run-streams.js";
import { Semaphore } from "./semaphore.js";
import { describeFailure, retryDelayMs, shouldRetry, sharedAbortController } from "./task-failure.js";
import { PayloadTooLargeError, RunMismatchError, RunStreamsGoneError, WorkQueueClosedError } from "./transport-errors.js";
import { isStreamNotFound } from "../nats/missing-stream.js";
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

/** Headers on a dead-letter record. The body is the refused message, byte for byte. */
export const DeadLetterHeaders = {
  reason: "Maspo-Dead-Reason",
  subject: "Maspo-Dead-Subject",
  streamSequence: "Maspo-Dead-Stream-Seq",
  deliveries: "Maspo-Dead-Deliveries",
} as const;

export interface JetStreamWorkQueueOptions {
  /** An open connection; the caller owns it and drains it after close(). */
  nc: NatsConnection;
  runId: string;
  settings?: WorkQueueSettingsInput;
  observer?: WorkQueueObserver;
  /**
   * Create the run's streams if they are missing (default true: the coordinator's queue). A worker's
   * queue passes false: the streams are its coordinator's, created before the run is announced and
   * removed once it is done, so a worker that is late to hear of the end never re-creates them.
   */
  createStreams?: boolean;
  /**
   * Task slots shared with other queues' processors (a pool worker serving many runs): a task runs
   * only while it holds one. Absent, each processor has its own `concurrency` slots.
   */
  slots?: Semaphore;
}

/** Checks the server, creates the run's streams if missing, and returns the queue. */
export async function openJetStreamWorkQueue(options: JetStreamWorkQueueOptions): Promise<WorkQueue> {
  const runId = checkRunId(options.runId);
  const settings = withReplicas(parseWorkQueueSettings(options.settings), options.nc);
  const { support, jsm } = await ensureServerCompat(options.nc);
  const createStreams = options.createStreams ?? true;
  if (createStreams) await ensureRunStreams(jsm, runId, settings);
  return new JetStreamWorkQueue({
    nc: options.nc,
    js: jetstream(options.nc),
    jsm,
    runId,
    settings,
    observer: options.observer ?? (() => {}),
    maxPayload: support.maxPayload,
    createStreams,
    ...(options.slots ? { slots: options.slots } : {}),
  });
}

interface QueueContext {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  runId: string;
  /** With the replicas decided for the cluster (run-streams.ts withReplicas). */
  settings: WorkQueueSettings & { replicas: number };
  observer: WorkQueueObserver;
  maxPayload: number;
  createStreams: boolean;
  slots?: Semaphore;
}

class JetStreamWorkQueue implements WorkQueue {
  readonly runId: string;
  private readonly processors = new Set<JetStreamProcessor>();
  private readonly resultReaders = new Set<ConsumerMessages>();
  private readonly reconnectListeners = new Set<() => void>();
  private closed = false;

  constructor(private readonly ctx: QueueContext) {
    this.runId = ctx.runId;
    void this.watchConnection().catch((err: unknown) =>
      ctx.observer({ type: "transport-error", context: "connection status watch", error: err }),
    );
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.ctx.nc.status()) {
      if (this.closed) return;
      if (status.type === "reconnect") for (const listener of [...this.reconnectListeners]) listener();
    }
  }

  async submit(task: TaskEnvelope): Promise<void> {
    if (this.closed) throw new WorkQueueClosedError("submit a task");
    const valid = validate(TaskEnvelopeSchema, task, "task envelope");
    if (valid.runId !== this.runId) throw new RunMismatchError(this.runId, valid.runId);
    const bytes = encode(valid);
    if (bytes.length > this.ctx.maxPayload) {
      throw new PayloadTooLargeError(`task ${valid.taskId}`, bytes.length, this.ctx.maxPayload);
    }
    try {
      await publishWithRetry(this.ctx.js, workSubject(this.runId, valid.role), bytes, { msgID: valid.taskId });
    } catch (err) {
      // No stream takes the subject any more: say so, rather than "jetstream is not enabled".
      const work = runStreamNames(this.runId).work;
      const gone = await this.ctx.jsm.streams.info(work).then(
        () => false,
        (infoErr: unknown) => isStreamNotFound(infoErr),
      );
      if (gone) throw new RunStreamsGoneError(this.runId, [work], { cause: err });
      throw err;
    }
  }

  async *results(options: ResultsOptions = {}): AsyncIterable<DeliveredResult> {
    if (this.closed) throw new WorkQueueClosedError("read results");
    let after = Math.max(0, options.after ?? 0);
    const seen = new Set<string>();
    while (!this.closed) {
      const msgs = await this.openResultsReader(after);
      if (!msgs) return;
      // An ordered consumer notices a lost server only after missed heartbeats (~30 s); on reconnect,
      // re-open it from the last position instead.
      let reopen = false;
      const onReconnect = (): void => {
        reopen = true;
        void msgs.close();
      };
      this.reconnectListeners.add(onReconnect);
      this.resultReaders.add(msgs);
      // An ordered consumer has one copy, on one server: when that server dies (a cluster losing a
      // node) the client asks the dead one for ever. Its missed heartbeats re-open it too.
      void (async () => {
        for await (const status of msgs.status()) if (status.type === "heartbeats_missed") return onReconnect();
      })().catch((err: unknown) => this.ctx.observer({ type: "transport-error", context: "results reader status", error: err }));
      try {
        for await (const m of msgs) {
          after = m.seq;
          let result: ResultEnvelope;
          try {
            result = storedResult(this.runId, m.data, m.subject);
          } catch (err) {
            if (!(err instanceof CodecError)) throw err;
            // Ordered consumers have no acks: copying is all there is to do; the log keeps the original.
            await copyToDeadLetters(this.ctx, deadLetterOf(m), err.reason);
            this.ctx.observer({ type: "dead-lettered", role: "results", reason: err.reason });
            continue;
          }
          if (seen.has(result.taskId)) continue;
          seen.add(result.taskId);
          yield { result, position: m.seq };
        }
      } finally {
        this.reconnectListeners.delete(onReconnect);
        this.resultReaders.delete(msgs);
        await msgs.close();
      }
      if (!reopen) return;
      this.ctx.observer({ type: "consumer-restarted", role: "results", reason: "reconnected" });
    }
  }

  async resultAt(position: number): Promise<ResultEnvelope | undefined> {
    if (!Number.isInteger(position) || position < 1) return undefined;
    const stream = runStreamNames(this.runId).results;
    // A direct read by sequence; retried through a leader election like every other JetStream request.
    const stored = await withJetStreamRetry(() => this.ctx.jsm.streams.getMessage(stream, { seq: position })).catch((err: unknown) => {
      // The results log itself is gone (its streams removed mid-run): the run cannot go on, and says why.
      if (isStreamNotFound(err)) throw new RunStreamsGoneError(this.runId, [stream], { cause: err });
      throw err;
    });
    return stored ? storedResult(this.runId, stored.data, stored.subject) : undefined;
  }

  /** An ordered consumer on the results log after `after`; retried while JetStream comes back. */
  private async openResultsReader(after: number): Promise<ConsumerMessages | undefined> {
    const stream = runStreamNames(this.runId).results;
    for (;;) {
      if (this.closed) return undefined;
      try {
        const consumer = await this.ctx.js.consumers.get(
          stream,
          after > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 } : {},
        );
        const msgs = await consumer.consume({ idle_heartbeat: CONSUMER_IDLE_HEARTBEAT_MS });
        if (this.closed) {
          // close() ran while this reader was being opened, so it could not close it: do it here, or
          // the iterator (and whoever awaits it, such as a failed run's cleanup) waits for ever. Not
          // awaited: its promise settles only once the messages are iterated to their end, and none are.
          void msgs.close().catch(() => undefined);
          return undefined;
        }
        return msgs;
      } catch (err) {
        if (this.closed || this.ctx.nc.isClosed()) throw err;
        this.ctx.observer({ type: "transport-error", context: "open results reader", error: err });
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  async rejectResult(delivered: DeliveredResult, reason: string): Promise<void> {
    const stream = runStreamNames(this.runId).results;
    try {
      const stored = await this.ctx.jsm.streams.getMessage(stream, { seq: delivered.position });
      if (!stored) throw new Error(`no message at sequence ${delivered.position} of ${stream}`);
      const copied = await copyToDeadLetters(
        this.ctx,
        { data: stored.data, subject: stored.subject, seq: stored.seq, stream, deliveries: 1 },
        reason,
      );
      if (copied) this.ctx.observer({ type: "dead-lettered", role: "results", reason });
    } catch (err) {
      this.ctx.observer({ type: "transport-error", context: `dead-letter result of ${delivered.result.taskId}`, error: err });
    }
  }

  async process(role: WorkerRole, handler: TaskHandler, options: ProcessOptions): Promise<ProcessHandle> {
    if (this.closed) throw new WorkQueueClosedError("start a processor");
    await ensureWorkConsumer(this.ctx.jsm, this.runId, role, this.ctx.settings);
    const processor = new JetStreamProcessor(this.ctx, role, handler, Math.max(1, Math.floor(options.concurrency)));
    this.processors.add(processor);
    processor.start();
    return {
      stop: async (stopOptions?: StopOptions) => {
        await processor.stop(stopOptions);
        this.processors.delete(processor);
      },
      get inFlight() {
        return processor.inFlight;
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.processors].map((p) => p.stop()));
    this.processors.clear();
    await Promise.all([...this.resultReaders].map((msgs) => msgs.close()));
  }
}

const MaxDeliveriesAdvisorySchema = z.object({ stream_seq: z.number().int(), deliveries: z.number().int() });

/** Task ids remembered as done so a redelivered copy is acked without running it again. */
const COMPLETED_MEMORY = 10_000;

class JetStreamProcessor {
  inFlight = 0;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private messages: ConsumerMessages | undefined;
  private advisories: Subscription | undefined;
  private readonly semaphore: Semaphore;
  /** Tasks pulled ahead of a free slot: all of them for own slots, one when the slots are shared. */
  private readonly prefetch: number;
  private readonly abort = sharedAbortController();
  /** Aborted at stop: a task waiting for a shared slot is handed back instead. */
  private readonly stopWaiting = new AbortController();
  private readonly running = new Set<string>();
  private readonly completed = new Set<string>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly ctx: QueueContext,
    private readonly role: WorkerRole,
    private readonly handler: TaskHandler,
    concurrency: number,
  ) {
    this.semaphore = ctx.slots ?? new Semaphore(concurrency);
    this.prefetch = ctx.slots ? 1 : concurrency;
  }

  start(): void {
    this.loopDone = this.consumeLoop().catch((err: unknown) => {
      this.ctx.observer({ type: "transport-error", context: `${this.role} consume loop`, error: err });
    });
    this.watchMaxDeliveries();
  }

  /**
   * A task whose workers all died (or hung without heartbeats) maxDeliver times is no longer
   * delivered; the server only says so in an advisory. One replica of the role (a queue group) turns
   * it into an error result, so the coordinator is never left waiting for it.
   */
  private watchMaxDeliveries(): void {
    const stream = runStreamNames(this.ctx.runId).work;
    const subject = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${workConsumerName(this.role)}`;
    this.advisories = this.ctx.nc.subscribe(subject, { queue: `maspo-${this.ctx.runId}-${this.role}-max-deliveries` });
    const sub = this.advisories;
    void (async () => {
      for await (const advisory of sub) {
        let parsed: z.infer<typeof MaxDeliveriesAdvisorySchema>;
        try {
          parsed = MaxDeliveriesAdvisorySchema.parse(JSON.parse(advisory.string()));
        } catch (err) {
          this.ctx.observer({ type: "transport-error", context: "unreadable max-deliveries advisory", error: err });
          continue;
        }
        await this.giveUp(parsed.stream_seq, parsed.deliveries).catch((err: unknown) =>
          this.ctx.observer({ type: "transport-error", context: `give up on stream sequence ${parsed.stream_seq}`, error: err }),
        );
      }
    })().catch((err: unknown) => this.ctx.observer({ type: "transport-error", context: "max-deliveries watch", error: err }));
  }

  private async giveUp(streamSeq: number, deliveries: number): Promise<void> {
    const stream = runStreamNames(this.ctx.runId).work;
    const stored = await this.ctx.jsm.streams.getMessage(stream, { seq: streamSeq });
    if (!stored) return; // already settled by a late ack
    let task: TaskEnvelope;
    try {
      task = decodeTask(stored.data);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      return; // poison: the consumer's own handling dead-letters it on delivery
    }
    const error = {
      code: "E_MAX_DELIVER",
      message: `task ${task.taskId} was delivered ${deliveries} times without being acked (its workers died or hung); giving up`,
      retryable: true,
    };
    if (await this.publishResult({ v: 1, runId: task.runId, taskId: task.taskId, role: this.role, ok: false, error })) {
      await this.ctx.jsm.streams.deleteMessage(stream, streamSeq);
      this.ctx.observer({ type: "task-completed", role: this.role, taskId: task.taskId, ok: false, durationMs: 0 });
    }
  }

  stop(options: StopOptions = {}): Promise<void> {
    this.stopped ??= this.shutdown(options);
    return this.stopped;
  }

  /** The documented order: stop taking work, close the pull, finish (or release) in-flight tasks. */
  private async shutdown(options: StopOptions): Promise<void> {
    this.stopping = true;
    this.stopWaiting.abort();
    this.advisories?.unsubscribe();
    await this.messages?.close();
    if (this.inFlight > 0) {
      const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      if (options.graceMs !== undefined) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([idle, new Promise<void>((resolve) => (timer = setTimeout(resolve, options.graceMs)))]);
        clearTimeout(timer);
        this.abort.abort(new WorkQueueClosedError("finish the task"));
      }
      await idle;
    }
    await this.loopDone;
  }

  /**
   * One consume() at a time; re-created when the server says the consumer or stream went away (a
   * restarted server without its store, an operator deleting it), after re-creating them.
   */
  private async consumeLoop(): Promise<void> {
    const streams = runStreamNames(this.ctx.runId);
    while (!this.stopping) {
      let msgs: ConsumerMessages;
      try {
        const consumer = await this.ctx.js.consumers.get(streams.work, workConsumerName(this.role));
        msgs = await consumer.consume({ max_messages: this.prefetch, idle_heartbeat: CONSUMER_IDLE_HEARTBEAT_MS });
      } catch (err) {
        if (this.stopping) return;
        this.ctx.observer({ type: "transport-error", context: `${this.role} consumer attach`, error: err });
        await this.recreate();
        continue;
      }
      this.messages = msgs;
      if (this.stopping) await msgs.close();
      let restartReason: string | undefined;
      void (async () => {
        for await (const status of msgs.status()) {
          // Missed heartbeats: the pull went to a server that died (its consumer's leader moved); the
          // client would check again only after a 30 s backoff, so attach afresh now.
          if (
            status.type === "heartbeats_missed" ||
            status.type === "consumer_deleted" ||
            status.type === "stream_not_found" ||
            status.type === "consumer_not_found"
          ) {
            restartReason = status.type;
            await msgs.close();
            return;
          }
        }
      })().catch((err: unknown) => this.ctx.observer({ type: "transport-error", context: `${this.role} status watch`, error: err }));
      for await (const m of msgs) {
        const slot = await this.takeSlot(m);
        if (!slot || this.stopping || restartReason !== undefined) {
          // Buffered but not started: hand it straight back so another replica takes it now.
          if (slot) this.semaphore.release();
          this.settle(() => m.nak(), "release buffered task");
          continue;
        }
        void this.handle(m).finally(() => this.semaphore.release());
      }
      if (restartReason !== undefined && !this.stopping) {
        this.ctx.observer({ type: "consumer-restarted", role: this.role, reason: restartReason });
        await this.recreate();
      }
    }
  }

  /**
   * Waits for a task slot; false if the processor stops first. A task waiting for a slot shared with
   * other runs is heartbeated like a running one, so it is not redelivered while it waits its turn.
   */
  private async takeSlot(m: JsMsg): Promise<boolean> {
    const heartbeat = setInterval(
      () => this.settle(() => m.working(), "working() heartbeat"),
      Math.max(100, Math.floor(this.ctx.settings.ackWaitMs / 3)),
    );
    try {
      return await this.semaphore.acquire(this.stopWaiting.signal);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async recreate(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 500));
    try {
      if (this.ctx.createStreams) await ensureRunStreams(this.ctx.jsm, this.ctx.runId, this.ctx.settings);
      await ensureWorkConsumer(this.ctx.jsm, this.ctx.runId, this.role, this.ctx.settings);
    } catch (err) {
      this.ctx.observer({ type: "transport-error", context: `${this.role} re-create consumer`, error: err });
    }
  }

  /** Never rejects: every outcome ends in an ack, a nak, a term, or (if the bus is gone) a redelivery later. */
  private async handle(m: JsMsg): Promise<void> {
    const deliveryCount = m.info.deliveryCount;
    let task: TaskEnvelope;
    try {
      task = decodeTask(m.data);
      if (task.runId !== this.ctx.runId || task.role !== this.role) {
        throw new CodecError("task envelope", `task for run "${task.runId}" role ${task.role} on ${m.subject}`);
      }
    } catch (err) {
      const reason = err instanceof CodecError ? err.reason : String(err);
      await this.deadLetter(m, reason);
      return;
    }
    if (this.running.has(task.taskId)) {
      // A redelivered copy of a task this process is still running: the running one's ack settles it.
      this.ctx.observer({ type: "duplicate-dropped", role: this.role, taskId: task.taskId });
      return;
    }
    if (this.completed.has(task.taskId)) {
      this.ctx.observer({ type: "duplicate-dropped", role: this.role, taskId: task.taskId });
      this.ack(m);
      return;
    }
    this.running.add(task.taskId);
    this.inFlight++;
    this.ctx.observer({ type: "task-started", role: this.role, taskId: task.taskId, deliveryCount });
    const started = performance.now();
    const working = (): void => this.settle(() => m.working(), "working() heartbeat");
    const heartbeat = setInterval(working, Math.max(100, Math.floor(this.ctx.settings.ackWaitMs / 3)));
    try {
      let outcome: ResultEnvelope;
      try {
        const payload = await Promise.resolve().then(() => this.handler(task, { signal: this.abort.signal, working, deliveryCount }));
        outcome = { v: 1, runId: task.runId, taskId: task.taskId, role: this.role, ok: true, payload };
      } catch (err) {
        const error = describeFailure(err);
        if (this.abort.signal.aborted) {
          this.settle(() => m.nak(), "release aborted task");
          this.ctx.observer({ type: "task-released", role: this.role, taskId: task.taskId });
          return;
        }
        if (shouldRetry(error, deliveryCount, this.ctx.settings.maxDeliver)) {
          const delayMs = retryDelayMs(this.ctx.settings, task.taskId, deliveryCount);
          this.settle(() => m.nak(delayMs), "nak for retry");
          this.ctx.observer({ type: "task-retry", role: this.role, taskId: task.taskId, deliveryCount, delayMs, error: error.message });
          return;
        }
        outcome = { v: 1, runId: task.runId, taskId: task.taskId, role: this.role, ok: false, error };
      }
      if (await this.publishResult(outcome)) {
        this.remember(task.taskId);
        this.ack(m);
        this.ctx.observer({
          type: "task-completed",
          role: this.role,
          taskId: task.taskId,
          ok: outcome.ok,
          durationMs: performance.now() - started,
        });
      }
    } finally {
      clearInterval(heartbeat);
      this.running.delete(task.taskId);
      this.inFlight--;
      if (this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** True once the result is stored; false leaves the task unacked, so it is redelivered and redone. */
  private async publishResult(result: ResultEnvelope): Promise<boolean> {
    let bytes = encode(result);
    if (bytes.length > this.ctx.maxPayload) {
      const error = describeFailure(new PayloadTooLargeError(`result of task ${result.taskId}`, bytes.length, this.ctx.maxPayload));
      bytes = encode({ v: 1, runId: result.runId, taskId: result.taskId, role: result.role, ok: false, error });
    }
    try {
      await publishWithRetry(this.ctx.js, resultSubject(this.ctx.runId, this.role), bytes, { msgID: result.taskId });
      return true;
    } catch (err) {
      this.ctx.observer({ type: "transport-error", context: `publish result of ${result.taskId}`, error: err });
      return false;
    }
  }

  private async deadLetter(m: JsMsg, reason: string): Promise<void> {
    if (await copyToDeadLetters(this.ctx, deadLetterOf(m), reason)) {
      this.settle(() => m.term(), "term poison message");
      this.ctx.observer({ type: "dead-lettered", role: this.role, reason });
    } else {
      // Not recorded yet: keep it in the queue rather than lose it; it comes back after the delay.
      this.settle(() => m.nak(this.ctx.settings.backoffMs[0]), "nak unrecorded poison message");
    }
  }

  /**
   * A plain ack, not a confirmed one: waiting for the server's confirmation would hold the task's slot
   * for another round trip. A lost ack costs nothing but a redelivery, which this process acks at once
   * (its result is already stored, `completed`), or another worker answers from the shared response
   * cache and its duplicate result is dropped by task id.
   */
  private ack(m: JsMsg): void {
    this.settle(() => m.ack(), "ack");
  }

  private remember(taskId: string): void {
    this.completed.add(taskId);
    if (this.completed.size > COMPLETED_MEMORY) {
      const oldest = this.completed.values().next();
      if (!oldest.done) this.completed.delete(oldest.value);
    }
  }

  /** Runs a fire-and-forget protocol action; a failure (connection gone) is reported, and redelivery covers it. */
  private settle(action: () => void, context: string): void {
    try {
      action();
    } catch (err) {
      this.ctx.observer({ type: "transport-error", context, error: err });
    }
  }
}

/**
 * A result as the results log stores it, decoded (CodecError when it is not one of this run's). The
 * subject is what NATS permissions vouch for (a worker may publish only its role's results), so the
 * result is the subject's role's, whatever its envelope claims: the coordinator then refuses a result
 * of another role for its task and retries the task under a fresh id. Dropping it here instead would
 * leave the task waiting, since the log keeps only the first result of a task id (msgID) and the
 * genuine one came second.
 */
function storedResult(runId: string, data: Uint8Array, subject: string): ResultEnvelope {
  const result = decodeResult(data);
  if (result.runId !== runId) throw new CodecError("result envelope", `runId "${result.runId}" on the results stream of run "${runId}"`);
  const role = resultRoleOf(runId, subject);
  if (role === undefined) throw new CodecError("result envelope", `a result published on ${subject}`);
  return role === result.role ? result : { ...result, role };
}

/** The role a results-log subject names (`maspo.<runId>.result.<role>`); undefined for any other subject. */
function resultRoleOf(runId: string, subject: string): WorkerRole | undefined {
  return WORKER_ROLES.find((role) => subject === resultSubject(runId, role));
}

/** A refused message: its bytes, where it was stored, and how often it was delivered. */
interface RefusedMessage {
  data: Uint8Array;
  subject: string;
  stream: string;
  seq: number;
  deliveries: number;
}

function deadLetterOf(m: JsMsg): RefusedMessage {
  return { data: m.data, subject: m.subject, stream: m.info.stream, seq: m.seq, deliveries: m.info.deliveryCount };
}

/** Copies a refused message with its reason to the run's dead-letter stream (once per stored message); false if that failed. */
async function copyToDeadLetters(ctx: QueueContext, m: RefusedMessage, reason: string): Promise<boolean> {
  const h = headers();
  h.set(DeadLetterHeaders.reason, reason.replace(/[\r\n]+/g, " ").slice(0, 1000));
  h.set(DeadLetterHeaders.subject, m.subject);
  h.set(DeadLetterHeaders.streamSequence, String(m.seq));
  h.set(DeadLetterHeaders.deliveries, String(m.deliveries));
  try {
    await publishWithRetry(ctx.js, deadLetterSubject(ctx.runId), m.data, {
      msgID: `dead:${m.stream}:${m.seq}`,
      headers: h,
    });
    return true;
  } catch (err) {
    ctx.observer({ type: "transport-error", context: "copy to dead letters", error: err });
    return false;
  }
}

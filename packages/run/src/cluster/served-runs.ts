/**
 * The runs one worker process serves: for each, the run's spec (read from its record), an LLM client
 * built from that spec (API keys from this process's environment; the process's one shared response
 * cache), and a processor on the run's work queue running the same task handler as the embedded mode.
 *
 * Every run's processor takes its tasks' slots from one FIFO semaphore of `concurrency` slots, and
 * pulls a task only one at a time (heartbeating it while it waits for a slot), so slots go to the
 * runs in turn: a big run cannot starve a small one, and an idle run holds no slot.
 *
 * Each run's task and LLM metrics carry its `run` label (and `sweep`, from its record), start at 0
 * for this role's counters and the models it calls in that run, and are dropped from /metrics
 * RETIRED_SERIES_MS after the run is retired.
 *
 * `serve` and `retire` may be called in any order and repeated (the run registry's watch replays
 * entries after a reconnect): the operations of one run are chained, so they apply in call order.
 */
import {
  type KvRateLimiter,
  type KvResponseCache,
  KvSpendLedger,
  LlmMetrics,
  type NatsSession,
  type ProcessHandle,
  type Registry,
  type Semaphore,
  TaskMetrics,
  type WorkQueue,
  type WorkQueueEvent,
  createTaskHandler,
  openJetStreamWorkQueue,
  parseWorkQueueSettings,
} from "@maspo/cluster";
import { MaspoError, type RunSpec, type WorkerRole } from "@maspo/core";
import type { Logger } from "pino";
import { createRunLlmClient, runEndpoints, workerContextOf, worldOfSpec } from "../run-job.js";
import { llmUsesOf } from "../run-metrics.js";
import { TASK_ADAPTERS } from "../task-adapters.js";
import { readRunRecord } from "./run-record-store.js";

export interface ServedRunsOptions {
  role: WorkerRole;
  session: NatsSession;
  cache: KvResponseCache;
  /** Endpoints' rate limits, shared by every process on the cluster. */
  rateLimiter: KvRateLimiter;
  /** The process's task slots, shared by every run it serves. */
  slots: Semaphore;
  env: Record<string, string | undefined>;
  /** The process's metrics registry: each run's task and LLM series go there, labelled with the run. */
  metrics: Registry;
  /** How long a retired run's in-flight tasks may finish before they are released. */
  graceMs: number;
  log: Logger;
}

interface ServedRun {
  readonly inFlight: number;
  /** Tasks this process completed for the run. */
  readonly completed: number;
  stop(graceMs: number): Promise<void>;
}

/** Why a run is no longer served. */
export type RetireReason = "done" | "removed" | "stopping";

/** A run that could not be set up is tried again after this long, while it is still wanted. */
const RETRY_MS = 5_000;

/**
 * A run no longer served keeps its series on /metrics this long, so that Prometheus scrapes their
 * last values, and then drops them: a long-lived pool's /metrics does not grow with every run it served.
 */
export const RETIRED_SERIES_MS = 10 * 60_000;

interface RunSeriesMetrics {
  task: TaskMetrics;
  llm: LlmMetrics;
}

export class ServedRuns {
  private readonly active = new Map<string, ServedRun>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly wanted = new Set<string>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Each run's metrics, kept for RETIRED_SERIES_MS after it is retired. */
  private readonly runMetrics = new Map<string, RunSeriesMetrics>();
  private readonly disposals = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: ServedRunsOptions) {}

  /** Tasks in flight over every run. */
  get inFlight(): number {
    let sum = 0;
    for (const run of this.active.values()) sum += run.inFlight;
    return sum;
  }

  /**
   * Starts serving the run, unless it is served already. Resolves with the error if the run cannot
   * be served by this worker at all (its spec names an API key variable this process lacks, its
   * record is invalid): that is logged, not retried. Other trouble (NATS) is retried while the run
   * is wanted.
   */
  serve(runId: string): Promise<MaspoError | undefined> {
    this.wanted.add(runId);
    let refused: MaspoError | undefined;
    const served = this.chain(runId, async () => {
      if (this.active.has(runId) || !this.wanted.has(runId)) return;
      const log = this.options.log.child({ run: runId });
      try {
        const run = await this.start(runId, log);
        if (run) this.active.set(runId, run);
      } catch (err) {
        if (err instanceof MaspoError) {
          refused = err;
          log.error({ event: "serve-refused", error: describe(err) }, `cannot serve run ${runId}: ${describe(err)}`);
          return;
        }
        log.warn(
          { event: "serve-failed", error: describe(err) },
          `cannot serve run ${runId} (${describe(err)}); trying again in ${RETRY_MS / 1000} s`,
        );
        const timer = setTimeout(() => {
          this.retryTimers.delete(timer);
          if (this.wanted.has(runId)) void this.serve(runId);
        }, RETRY_MS);
        this.retryTimers.add(timer);
      }
    });
    return served.then(() => refused);
  }

  /** Stops serving the run (its in-flight tasks get the grace period); true if it was served. */
  async retire(runId: string, reason: RetireReason): Promise<boolean> {
    this.wanted.delete(runId);
    let wasServed = false;
    await this.chain(runId, async () => {
      const run = this.active.get(runId);
      if (!run) return;
      wasServed = true;
      this.active.delete(runId);
      const log = this.options.log.child({ run: runId });
      log.info({ event: "draining", inFlight: run.inFlight }, `run ${runId} (${reason}): draining ${run.inFlight} task(s) in flight`);
      try {
        await run.stop(this.options.graceMs);
      } catch (err) {
        // Its unacked tasks go back to the queue when their ack wait passes; nothing else is at stake.
        log.warn({ event: "stop-failed", error: describe(err) }, `could not stop run ${runId}'s processor cleanly (${describe(err)})`);
      }
      log.info(
        { event: "stopped-serving", reason, tasksCompleted: run.completed },
        `stopped serving run ${runId} (${reason}) after ${run.completed} task(s)`,
      );
      this.disposeMetricsLater(runId);
    });
    return wasServed;
  }

  /** Retires every run, e.g. on SIGTERM. */
  async retireAll(): Promise<void> {
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    // The process is stopping: its /metrics goes with it, there is nothing left to drop.
    for (const timer of this.disposals.values()) clearTimeout(timer);
    this.disposals.clear();
    const runIds = new Set([...this.wanted, ...this.active.keys(), ...this.chains.keys()]);
    await Promise.all([...runIds].map((runId) => this.retire(runId, "stopping")));
  }

  private chain(runId: string, op: () => Promise<void>): Promise<void> {
    // Each op handles its own failures; the catch keeps one bug from stopping the run's later ops.
    const next = (this.chains.get(runId) ?? Promise.resolve()).catch(() => undefined).then(op);
    this.chains.set(runId, next);
    const forget = (): void => {
      if (this.chains.get(runId) === next) this.chains.delete(runId);
    };
    next.then(forget, forget);
    return next;
  }

  /** The run's task and LLM metrics (its series start at 0), made again if it is served again after it was retired. */
  private metricsOf(runId: string, sweep: string | undefined, spec: RunSpec): RunSeriesMetrics {
    const pending = this.disposals.get(runId);
    if (pending) clearTimeout(pending);
    this.disposals.delete(runId);
    const labels = { run: runId, ...(sweep !== undefined ? { sweep } : {}) };
    const metrics = { task: new TaskMetrics(this.options.metrics, labels), llm: new LlmMetrics(this.options.metrics, labels) };
    metrics.task.init([this.options.role]);
    metrics.llm.init(llmUsesOf(spec, this.options.role));
    this.runMetrics.set(runId, metrics);
    return metrics;
  }

  private disposeMetricsLater(runId: string): void {
    const metrics = this.runMetrics.get(runId);
    if (!metrics || this.disposals.has(runId)) return;
    const timer = setTimeout(() => {
      this.disposals.delete(runId);
      if (this.runMetrics.get(runId) !== metrics) return;
      this.runMetrics.delete(runId);
      metrics.task.dispose();
      metrics.llm.dispose();
    }, RETIRED_SERIES_MS);
    timer.unref();
    this.disposals.set(runId, timer);
  }

  /** Sets the run up and starts its processor; undefined when the run turns out to be over. */
  private async start(runId: string, log: Logger): Promise<ServedRun | undefined> {
    const { role, session } = this.options;
    const record = await readRunRecord(session.nc, runId);
    if (!record || record.status === "done") {
      log.info({ event: "run-over" }, `run ${runId} is over before this worker could serve it`);
      return undefined;
    }
    const { spec } = record;
    const world = worldOfSpec(spec);
    const metrics = this.metricsOf(runId, record.sweep, spec);
    // The run's ledger, as its coordinator made it: each call served here is settled in it before the
    // task's result goes out, so a worker that dies mid-task has counted every call it was served.
    const ledger = await KvSpendLedger.open(session.nc, runId, {
      budgetUsd: spec.stop.budgetUsd ?? null,
      budgetTokens: spec.stop.budgetTokens ?? null,
      tokensPerRoundMax: spec.guards.tokensPerRoundMax ?? null,
      mode: "join",
    });
    const llm = createRunLlmClient({
      spec,
      env: this.options.env,
      cache: this.options.cache,
      world,
      onEvent: metrics.llm.listener,
      ledger,
      rateLimiter: this.options.rateLimiter,
    });
    let completed = 0;
    const observe = (event: WorkQueueEvent): void => {
      metrics.task.observe(event);
      if (event.type === "task-completed") completed++;
      logQueueEvent(log, event);
    };
    const queue: WorkQueue = await openJetStreamWorkQueue({
      nc: session.nc,
      runId,
      settings: parseWorkQueueSettings(spec.cluster),
      observer: observe,
      createStreams: false,
      slots: this.options.slots,
    });
    let handle: ProcessHandle;
    try {
      handle = await queue.process(
        role,
        createTaskHandler({ role, adapters: TASK_ADAPTERS, context: workerContextOf(spec, world, llm), endpoints: runEndpoints(spec) }),
        { concurrency: this.options.slots.permits },
      );
    } catch (err) {
      await queue.close();
      throw err;
    }
    metrics.task.trackInFlight(role, () => handle.inFlight);
    log.info({ event: "serving" }, `serving run ${runId}`);
    return {
      get inFlight() {
        return handle.inFlight;
      },
      get completed() {
        return completed;
      },
      async stop(graceMs) {
        // The documented order: stop taking work and finish (or release) in-flight tasks, then close.
        await handle.stop({ graceMs });
        await queue.close();
      },
    };
  }
}

function logQueueEvent(log: Logger, event: WorkQueueEvent): void {
  switch (event.type) {
    case "transport-error":
      log.warn({ event: event.type, context: event.context, error: describe(event.error) }, `NATS trouble (${event.context}); recovering`);
      return;
    case "dead-lettered":
      log.warn({ event: event.type, reason: event.reason }, `malformed message moved to the dead-letter stream: ${event.reason}`);
      return;
    case "task-retry":
      log.info(
        { event: event.type, taskId: event.taskId, delayMs: event.delayMs, error: event.error },
        `task ${event.taskId} failed transiently; retry in ${event.delayMs} ms`,
      );
      return;
    case "consumer-restarted":
      log.info({ event: event.type, reason: event.reason }, `consumer re-attached (${event.reason})`);
      return;
    case "task-completed":
      if (!event.ok) log.warn({ event: event.type, taskId: event.taskId }, `task ${event.taskId} failed`);
      return;
    default:
      return;
  }
}

export function describe(err: unknown): string {
  if (err instanceof MaspoError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

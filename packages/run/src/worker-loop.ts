/**
 * The worker loop (`maspo worker <role>`): one executor, evaluator or mutator process of a cluster run. It reads the
 * run's spec from JetStream KV (waiting for the coordinator to publish it), builds its own LLM client
 * with API keys from ITS environment and the cluster's shared response cache, then takes tasks from
 * the role's shared consumer and answers them with the same functions the embedded mode calls.
 *
 * SIGTERM (or SIGINT) drains it: stop taking work, finish in-flight tasks (after the grace period,
 * release them to another replica), close the queue, drain the connection. A NATS outage is ridden
 * out: the client reconnects forever and the queue re-attaches its consumer.
 */
import {
  KvResponseCache,
  LlmMetrics,
  TaskMetrics,
  connectNats,
  createTaskHandler,
  createMetricsRegistry,
  openJetStreamWorkQueue,
  parseWorkQueueSettings,
  startMetricsServer,
  type MetricsServer,
  type NatsAuthOptions,
  type NatsSession,
  type ProcessHandle,
  type WorkQueue,
  type WorkQueueEvent,
} from "@maspo/cluster";
import { MaspoError, type WorkerRole } from "@maspo/core";
import { readRunRecord, type RunRecord } from "./cluster/run-record-store.js";
import type { Logger } from "pino";
import { type MetricsPort, createRunLlmClient, runEndpoints, workerContextOf, worldOfSpec } from "./run-job.js";
import { TASK_ADAPTERS } from "./task-adapters.js";

export interface WorkerOptions {
  role: WorkerRole;
  runId: string;
  nats: NatsAuthOptions;
  /** Tasks this process works on at once. */
  concurrency: number;
  metricsPort?: MetricsPort;
  /** In-flight tasks may finish for this long after a stop is asked; then they are released. */
  graceMs: number;
  /**
   * Exit once the coordinator marks the run done (a worker run as a batch job). Off by default:
   * under a Deployment, a worker that exits on its own is restarted, so it idles until SIGTERM.
   */
  exitWhenDone?: boolean;
  /** Where API keys are read: this process's environment. */
  env: Record<string, string | undefined>;
  log: Logger;
  /** Aborting it drains and stops the worker (the command wires SIGTERM/SIGINT to it). */
  stop: AbortSignal;
}

/** How often a worker that started before its coordinator looks for the run's record. */
const RUN_POLL_MS = 500;

export async function runWorker(options: WorkerOptions): Promise<void> {
  const { role, runId, log, stop } = options;
  const registry = createMetricsRegistry(role);
  const taskMetrics = new TaskMetrics(registry);
  const llmMetrics = new LlmMetrics(registry);
  let metricsServer: MetricsServer | undefined;
  let session: NatsSession | undefined;
  let queue: WorkQueue | undefined;
  let handle: ProcessHandle | undefined;
  try {
    if (options.metricsPort !== undefined && options.metricsPort !== 0) {
      metricsServer = await startMetricsServer(registry, { port: options.metricsPort === "auto" ? 0 : options.metricsPort });
      log.info({ event: "metrics", url: metricsServer.url, port: metricsServer.port }, `metrics on ${metricsServer.url}`);
    }
    session = await connectNats({ ...options.nats, name: options.nats.name ?? `maspo-${role}-${runId}` });
    const { nc } = session;
    log.info(
      { event: "connected", server: session.server.version },
      `connected: ${session.description}, nats-server ${session.server.version}`,
    );
    void watchConnection(session, log);

    const record = await waitForRun(session, runId, stop, log);
    if (!record) return;
    const spec = record.spec;
    const world = worldOfSpec(spec);
    const cache = await KvResponseCache.open(nc, {
      onCorrupt: (key, reason) =>
        log.warn({ event: "cache-corrupt", key, reason }, `unreadable LLM cache entry ${key} (${reason}); treated as a miss`),
      onClaimTrouble: (key, reason) =>
        log.warn(
          { event: "cache-claim-trouble", key, reason },
          `could not renew or release the claim on LLM cache entry ${key} (${reason}); it expires by itself`,
        ),
    });
    const llm = createRunLlmClient({ spec, env: options.env, cache, world, onEvent: llmMetrics.listener });
    const observe = (event: WorkQueueEvent): void => {
      taskMetrics.observe(event);
      logQueueEvent(log, event);
    };
    queue = await openJetStreamWorkQueue({ nc, runId, settings: parseWorkQueueSettings(spec.cluster), observer: observe });
    if (stop.aborted) return;
    handle = await queue.process(
      role,
      createTaskHandler({ role, adapters: TASK_ADAPTERS, context: workerContextOf(spec, world, llm), endpoints: runEndpoints(spec) }),
      { concurrency: options.concurrency },
    );
    const processor = handle;
    taskMetrics.trackInFlight(role, () => processor.inFlight);
    log.info({ event: "ready", concurrency: options.concurrency }, `${role} ready for run ${runId} (concurrency ${options.concurrency})`);

    // Work until told to stop, or until the coordinator marks the run done: a finished run needs no workers.
    const finished = options.exitWhenDone === true ? await untilStoppedOrDone(session, runId, stop) : await untilStopped(stop);
    if (finished) log.info({ event: "run-done" }, `run ${runId} is done; stopping`);
    log.info({ event: "draining", inFlight: processor.inFlight }, `draining: ${processor.inFlight} task(s) in flight`);
  } finally {
    // The documented order: stop taking work and finish (or release) in-flight tasks, then close.
    await handle?.stop({ graceMs: options.graceMs });
    await queue?.close();
    if (session && !session.nc.isClosed()) await session.nc.drain();
    await metricsServer?.close();
    log.info({ event: "stopped" }, `${role} stopped`);
  }
}

function untilStopped(stop: AbortSignal): Promise<false> {
  return new Promise((resolve) => {
    if (stop.aborted) resolve(false);
    else stop.addEventListener("abort", () => resolve(false), { once: true });
  });
}

/** Resolves true when the run record says "done", false when `stop` aborts first. */
async function untilStoppedOrDone(session: NatsSession, runId: string, stop: AbortSignal): Promise<boolean> {
  while (!stop.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, RUN_POLL_MS);
      stop.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });
    if (stop.aborted) return false;
    // A read that fails (e.g. during a NATS outage) is simply tried again at the next poll.
    const record = await readRunRecord(session.nc, runId).catch(() => undefined);
    if (record?.status === "done") return true;
  }
  return false;
}

async function waitForRun(session: NatsSession, runId: string, stop: AbortSignal, log: Logger): Promise<RunRecord | undefined> {
  let told = false;
  while (!stop.aborted) {
    const record = await readRunRecord(session.nc, runId);
    if (record) return record;
    if (!told) {
      log.info({ event: "waiting-for-run" }, `run ${runId} is not published yet; waiting for its coordinator`);
      told = true;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, RUN_POLL_MS);
      stop.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
  return undefined;
}

async function watchConnection(session: NatsSession, log: Logger): Promise<void> {
  for await (const status of session.nc.status()) {
    if (status.type === "disconnect") log.warn({ event: "disconnected" }, "lost the NATS connection; reconnecting");
    else if (status.type === "reconnect") log.info({ event: "reconnected" }, "reconnected to NATS");
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

function describe(err: unknown): string {
  if (err instanceof MaspoError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * The worker loop (`maspo worker <role>`): one executor, evaluator or mutator process of a cluster.
 * Without a run id it is a pool worker: it serves every run on the cluster, finding them in the
 * cluster's run registry (a KV watch, so a run started later is picked up without a restart) and
 * dropping each once it is done or removed. With `--run <id>` it serves that run only, and with
 * `--exit-when-done` exits once the run is done.
 *
 * Per process: one NATS connection, one shared LLM response cache, one metrics registry (each
 * run's series in it labelled with the run), and `concurrency` task slots shared fairly by every run
 * it serves. Per run (cluster/served-runs.ts): the run's spec read from its record, an LLM client
 * built from it with API keys from THIS process's environment, and a processor on the run's work
 * queue answering tasks with the same task handler the embedded mode calls.
 *
 * SIGTERM (or SIGINT) drains it: stop taking work, finish in-flight tasks (after the grace period,
 * release them to another replica), close the queues, drain the connection. A NATS outage is ridden
 * out: the client reconnects forever, the queues re-attach their consumers and the registry watch
 * re-opens; each of its events (connection lost and back, a server gone, a stream's new leader) is
 * a log line and in the NATS metrics (cluster/nats-outages.ts). The cluster-wide buckets a worker
 * may be first to create (the response cache, the run registry) get `replicas` copies.
 */
import {
  KvRateLimiter,
  KvResponseCache,
  RunRegistry,
  Semaphore,
  chooseReplicas,
  connectNats,
  describeReplicas,
  createMetricsRegistry,
  recordWorkerSlots,
  startMetricsServer,
  type MetricsServer,
  type NatsAuthOptions,
  type NatsOutageWatch,
  type NatsSession,
  type ResponseCacheBounds,
} from "@maspo/cluster";
import type { WorkerRole } from "@maspo/core";
import type { Logger } from "pino";
import { reportNatsOutages } from "./cluster/nats-outages.js";
import { ServedRuns, describe } from "./cluster/served-runs.js";
import type { MetricsPort } from "./run-job.js";

export interface WorkerOptions {
  role: WorkerRole;
  /** Serve this run only; absent, serve every run on the cluster (a pool worker). */
  runId?: string;
  nats: NatsAuthOptions;
  /** Tasks this process works on at once, over all the runs it serves. */
  concurrency: number;
  metricsPort?: MetricsPort;
  /** In-flight tasks may finish for this long after a stop is asked; then they are released. */
  graceMs: number;
  /**
   * With `runId`: exit once the coordinator marks the run done (a worker run as a batch job). Off by
   * default: under a Deployment, a worker that exits on its own is restarted, so it idles until SIGTERM.
   */
  exitWhenDone?: boolean;
  /** The shared response cache's bounds, where the operator set them (see KvResponseCacheOptions.bounds). */
  cacheBounds?: Partial<ResponseCacheBounds>;
  /** Copies of the cluster-wide buckets if this worker creates them (--replicas); absent, the cluster's default. */
  replicas?: number;
  /** Where API keys are read: this process's environment. */
  env: Record<string, string | undefined>;
  log: Logger;
  /** Aborting it drains and stops the worker (the command wires SIGTERM/SIGINT to it). */
  stop: AbortSignal;
}

export async function runWorker(options: WorkerOptions): Promise<void> {
  const { role, runId, log, stop } = options;
  const scope = runId === undefined ? "every run on the cluster" : `run ${runId}`;
  const registry = createMetricsRegistry(role);
  recordWorkerSlots(registry, options.concurrency);
  let metricsServer: MetricsServer | undefined;
  let session: NatsSession | undefined;
  let runs: ServedRuns | undefined;
  let outages: NatsOutageWatch | undefined;
  try {
    if (options.metricsPort !== undefined && options.metricsPort !== 0) {
      metricsServer = await startMetricsServer(registry, { port: options.metricsPort === "auto" ? 0 : options.metricsPort });
      log.info({ event: "metrics", url: metricsServer.url, port: metricsServer.port }, `metrics on ${metricsServer.url}`);
    }
    session = await connectNats({ ...options.nats, name: options.nats.name ?? `maspo-${role}-${runId ?? "pool"}` });
    const { nc } = session;
    log.info(
      { event: "connected", server: session.server.version },
      `connected: ${session.description}, nats-server ${session.server.version}`,
    );
    const replicas = chooseReplicas(nc, options.replicas, "--replicas");
    log.info({ event: "replicas", replicas: replicas.replicas, clusterSize: replicas.clusterSize ?? null }, describeReplicas(replicas));
    outages = reportNatsOutages(nc, {
      registry,
      replicas: replicas.replicas,
      log: (level, line, event) => {
        const { type, ...fields } = event ?? { type: "outage-watch-trouble" };
        log[level]({ event: type, ...fields }, line);
      },
    });

    const cache = await KvResponseCache.open(nc, {
      replicas: replicas.replicas,
      ...(options.cacheBounds ? { bounds: options.cacheBounds } : {}),
      onCorrupt: (key, reason) =>
        log.warn({ event: "cache-corrupt", key, reason }, `unreadable LLM cache entry ${key} (${reason}); treated as a miss`),
      onClaimTrouble: (key, reason) =>
        log.warn(
          { event: "cache-claim-trouble", key, reason },
          `could not renew or release the claim on LLM cache entry ${key} (${reason}); it expires by itself`,
        ),
    });
    log.info(
      { event: "cache", ttlMs: cache.bounds.ttlMs, maxBytes: cache.bounds.maxBytes },
      `shared LLM response cache: entries kept ${cache.bounds.ttlMs / 3_600_000} h, at most ${cache.bounds.maxBytes} bytes`,
    );
    const runRegistry = await RunRegistry.open(nc, { replicas: replicas.replicas });
    // Endpoints' rate limits, kept in KV: every worker of every run on the cluster takes turns in one window.
    const rateLimiter = await KvRateLimiter.open(nc, { replicas: replicas.replicas });
    const served = new ServedRuns({
      role,
      session,
      cache,
      rateLimiter,
      slots: new Semaphore(options.concurrency),
      env: options.env,
      metrics: registry,
      graceMs: options.graceMs,
      log,
    });
    runs = served;
    if (stop.aborted) return;
    log.info({ event: "ready", concurrency: options.concurrency }, `${role} ready for ${scope} (concurrency ${options.concurrency})`);
    if (runId !== undefined && !(await runRegistry.get(runId))) {
      log.info({ event: "waiting-for-run" }, `run ${runId} is not announced yet; waiting for its coordinator`);
    }

    // Follow the registry until told to stop (or, for --exit-when-done, until the run is done).
    for await (const { runId: changed, entry } of runRegistry.watch({
      ...(runId !== undefined ? { runId } : {}),
      signal: stop,
      onTrouble: (context, error) =>
        log.warn({ event: "registry-trouble", context, error: describe(error) }, `cannot ${context}; retrying`),
    })) {
      if (entry?.status === "running") {
        const serving = served.serve(changed);
        // A worker for one run that cannot serve it (e.g. an API key variable unset here) fails, as it
        // always did; a pool worker serves the runs it can.
        const refused = runId !== undefined ? await serving : undefined;
        if (refused) throw refused;
        continue;
      }
      // Not awaited: a run draining its last tasks must not hold up the others' changes.
      const retired = served.retire(changed, entry ? "done" : "removed").then((wasServed) => {
        // A pool worker's registry replay holds every run done in the last day: name only the ones it served.
        if (runId !== undefined || wasServed) {
          log.info({ event: "run-done", run: changed }, `run ${changed} is ${entry ? "done" : "gone"}; no longer serving it`);
        }
      });
      if (runId !== undefined && options.exitWhenDone === true) {
        await retired;
        break;
      }
    }
  } finally {
    log.info({ event: "draining", inFlight: runs?.inFlight ?? 0 }, `draining: ${runs?.inFlight ?? 0} task(s) in flight`);
    // The documented order: stop taking work and finish (or release) in-flight tasks, then close.
    await runs?.retireAll();
    outages?.stop();
    if (session && !session.nc.isClosed()) await session.nc.drain();
    await metricsServer?.close();
    log.info({ event: "stopped" }, `${role} stopped`);
  }
}

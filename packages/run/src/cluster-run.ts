/**
 * `maspo run --nats`: the cluster coordinator. It publishes the run (the effective spec, which names
 * API keys only by variable) to JetStream KV, creates the run's streams and one consumer per worker
 * role with the spec's `cluster` settings, and runs the same run job as the embedded mode over
 * workers that are JetStream tasks. The checkpoint goes to KV after every step (compare-and-swap, so
 * one coordinator per run); `--resume` takes the run over from its last step. The report is written
 * locally, to --out, as in the embedded mode.
 *
 * Once the streams and consumers exist, the run is announced in the cluster's run registry, where
 * pool workers find it. When it is done it is marked so there (pool workers stop serving it), and its
 * streams and record are removed (cluster/run-cleanup.ts says what goes and what expires, and why).
 *
 * Its metrics (run-metrics.ts: phase, progress, absolute train and held-out metrics, tasks, the
 * backlog of each role's consumer polled every few seconds, LLM use and cost from the task results)
 * carry the run's `run` label, and `sweep` when a sweep started it; the sweep is also written into
 * the run's record, where pool workers read it to label their series of the run.
 */
import { createHash } from "node:crypto";
import {
  type Ablations,
  type Example,
  MaspoError,
  type RunSpec,
  WORKER_ROLES,
  type WorkerRole,
  ablationNames,
  listModelEndpoints,
} from "@maspo/core";
import { RATE_WINDOW } from "@maspo/llm";
import {
  RUN_REGISTRY_REFRESH_MS,
  KvSpendLedger,
  assertReplicasFit,
  chooseReplicas,
  PayloadTooLargeError,
  connectNats,
  encode,
  describeReplicas,
  startQueueWorkers,
  ensureWorkConsumer,
  openJetStreamWorkQueue,
  parseWorkQueueSettings,
  runStreamNames,
  workConsumerName,
  type NatsAuthOptions,
  type NatsOutageWatch,
  type NatsSession,
  type WorkQueueEvent,
} from "@maspo/cluster";
import { CheckpointMismatchError, type RunState, assertResumable } from "@maspo/coordinator";
import { reportNatsOutages } from "./cluster/nats-outages.js";
import { cleanUpRun } from "./cluster/run-cleanup.js";
import { type RunWatchdog, defaultStallMs, startRunWatchdog } from "./cluster/run-watchdog.js";
import { RunDoneError, RunRecordStore } from "./cluster/run-record-store.js";
import type { RunProgress } from "./run-progress.js";
import { type RunOutcome, assertLensesKept, resolveData, runJob, specHash, withTrainPool } from "./run-job.js";
import { CoordinatorMetrics, type RunMetricsOptions, openRunMetrics, type RunMetricsSink } from "./run-metrics.js";

export interface ClusterRunOptions extends RunMetricsOptions {
  spec: RunSpec;
  specDir: string;
  outDir: string;
  /** The run's id on the cluster; derived from the spec hash (and ablations) when absent. */
  runId?: string;
  /** Take the run over from its last checkpoint in KV. */
  resume: boolean;
  ablations: Ablations;
  nats: NatsAuthOptions;
  /** The sweep the run belongs to: its metrics' `sweep` label (pool workers read it from the run's record). */
  sweep?: string;
  progress: RunProgress;
  /** Lines for the operator (run id, metrics address, transport trouble); never secrets. */
  log: (line: string) => void;
}

export interface ClusterRunResult extends RunOutcome {
  runId: string;
  /** Tasks whose result came back, per role (the run's results log is removed once it is done). */
  tasks: Record<WorkerRole, number>;
}

/** `maspo-<spec hash>`, or with ablations a hash of both: the same spec always names the same run. */
export function clusterRunId(spec: RunSpec, ablations: readonly string[]): string {
  const hash = specHash(spec);
  if (ablations.length === 0) return `maspo-${hash}`;
  return `maspo-${createHash("sha256")
    .update(`${hash}\u0000${ablations.join(",")}`)
    .digest("hex")
    .slice(0, 16)}`;
}

/** How often the coordinator reads each role's backlog for its metrics. */
const BACKLOG_POLL_MS = 5_000;

export async function runCluster(options: ClusterRunOptions): Promise<ClusterRunResult> {
  const { spec, progress, log } = options;
  // Refused before anything is created: a run that drops a lens must say it is an ablation.
  assertLensesKept(options.spec, options.ablations);
  // Only the train pool is kept (withTrainPool): the whole split is never held by the coordinator.
  const data = withTrainPool(spec, await resolveData(spec, options.specDir));
  const ablations = ablationNames(options.ablations);
  const hash = specHash(spec);
  const runId = options.runId ?? clusterRunId(spec, ablations);
  const settings = parseWorkQueueSettings(spec.cluster);

  let sink: RunMetricsSink | undefined;
  let metrics: CoordinatorMetrics | undefined;
  let session: NatsSession | undefined;
  let outages: NatsOutageWatch | undefined;
  let backlogTimer: NodeJS.Timeout | undefined;
  let refreshTimer: NodeJS.Timeout | undefined;
  let watchdog: RunWatchdog | undefined;
  let workers: ReturnType<typeof startQueueWorkers> | undefined;
  const tasks: Record<WorkerRole, number> = { executor: 0, evaluator: 0, mutator: 0 };
  try {
    sink = await openRunMetrics(options, "coordinator");
    if (sink?.url !== undefined) log(`maspo: coordinator metrics on ${sink.url}`);
    const labels = { run: runId, ...(options.sweep !== undefined ? { sweep: options.sweep } : {}) };
    const runMetrics = sink ? new CoordinatorMetrics(sink.registry, labels, spec) : undefined;
    metrics = runMetrics;
    session = await connectNats({ ...options.nats, name: options.nats.name ?? `maspo-coordinator-${runId}` });
    const { nc, jsm } = session;
    log(`maspo: run ${runId} on ${session.description}, nats-server ${session.server.version}`);
    // Every task carries its example (of the train pool or held-out): one over the server's max_payload
    // could never be sent, so say so now, before anything is created, rather than at the first task that carries it.
    assertExamplesFit(data, nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD);

    // Copies of every stream and bucket (spec cluster.replicas, else min(3, cluster size)): a new run
    // asking for more than the cluster has is refused before it creates anything.
    const replicas = chooseReplicas(nc, spec.cluster.replicas, "cluster.replicas");
    if (!options.resume) assertReplicasFit(nc, replicas, "cluster.replicas");
    log(`maspo: ${describeReplicas(replicas)}`);
    outages = reportNatsOutages(nc, {
      ...(sink ? { registry: sink.registry } : {}),
      replicas: replicas.replicas,
      log: (_level, line) => log(`maspo: ${line}`),
    });
    const store = await RunRecordStore.open(nc, runId, { replicas: replicas.replicas });
    const resumeState = await claimOrCreate(store, options, { runId, hash, ablations, jsm, log });

    const observe = (event: WorkQueueEvent): void => {
      if (event.type === "transport-error") log(`maspo: NATS trouble (${event.context}): ${describe(event.error)}; retrying`);
      else if (event.type === "dead-lettered")
        log(`maspo: a malformed ${event.role} message went to the dead-letter stream: ${event.reason}`);
    };
    // The run's ledger in KV: every worker settles the calls it made there, so the run's cost is what
    // endpoints served, and reserves against its budget. A new run starts it afresh; a resumed one keeps it.
    const ledger = await KvSpendLedger.open(nc, runId, {
      budgetUsd: spec.stop.budgetUsd ?? null,
      budgetTokens: spec.stop.budgetTokens ?? null,
      tokensPerRoundMax: spec.guards.tokensPerRoundMax ?? null,
      mode: options.resume ? "resume" : "fresh",
      ...(resumeState?.spend ? { carried: resumeState.spend.usage } : {}),
      replicas: replicas.replicas,
    });
    const queue = await openJetStreamWorkQueue({ nc, runId, settings, observer: observe });
    // The spec's consumer settings rule: create the consumers before any worker attaches with its own.
    for (const role of WORKER_ROLES) await ensureWorkConsumer(jsm, runId, role, settings);
    workers = startQueueWorkers({
      queue,
      // The results log is read again from its start: what the checkpoint had read is in its spend.
      ...(resumeState?.spend ? { carried: resumeState.spend } : {}),
      ledger,
      evaluationShardSize: spec.concurrency.evaluationShardSize,
      onEvent: (e) => {
        runMetrics?.onQueueEvent(e);
        watchdog?.onEvent(e);
        if (e.type === "resolved") tasks[e.role]++;
        else if (e.type === "invalid-result")
          log(
            `maspo: ${e.role} task ${e.taskId} returned an invalid result (dead-lettered, the task retried under a fresh id): ${e.reason}`,
          );
        else if (e.type === "failure-unconfirmed")
          log(`maspo: ${e.role} task ${e.taskId} failed with ${e.code}; asking again under a fresh id before believing it`);
      },
    });
    const clusterWorkers = workers;
    runMetrics?.trackUsage(clusterWorkers);
    await store.announce();
    refreshTimer = setInterval(() => {
      store
        .refresh()
        .catch((err: unknown) => log(`maspo: could not refresh run ${runId} in the run registry: ${describe(err)}; retrying later`));
    }, RUN_REGISTRY_REFRESH_MS);
    if (runMetrics) backlogTimer = pollBacklog(jsm, runId, runMetrics);

    // No stall is silent: no result for stallMs while tasks are awaited ends the run with what is missing.
    // A rate limit may hold every call back for a whole window (rate-limit.ts): that is waiting, not a stall.
    const rateWaitMs = listModelEndpoints(spec).some((e) => e.rateLimit) ? RATE_WINDOW.slotMs * (RATE_WINDOW.slots + 1) : 0;
    const stallMs = spec.cluster.watchdogMs ?? defaultStallMs(spec.cluster) + rateWaitMs;
    watchdog = startRunWatchdog({ jsm, runId, stallMs, natsUrl: natsUrlOf(options.nats), log });
    const job = runJob({
      spec,
      data,
      ablations: options.ablations,
      workers: clusterWorkers,
      store,
      progress,
      outDir: options.outDir,
      resumeState,
      ledger,
      ...(runMetrics ? { afterStep: runMetrics.afterStep, onPhase: runMetrics.onPhase } : {}),
    });
    const finished = await Promise.race([job, watchdog.stalled]);
    watchdog.stop();
    clearInterval(refreshTimer);
    clearInterval(backlogTimer);
    // Its work is over: nothing is pending any more (the consumers are about to go).
    for (const role of WORKER_ROLES) runMetrics?.metrics.recordBacklog({ role, pending: 0, ackPending: 0 });
    await store.markDone();
    // The queue reads the results log until closed: close it before the streams go.
    await workers.close();
    workers = undefined;
    await retireRun(jsm, runId, log);
    // The report holds the spend; a ledger left behind by a failure here expires by itself.
    await KvSpendLedger.remove(nc, runId).catch((err: unknown) =>
      log(`maspo: could not remove run ${runId}'s spend ledger: ${describe(err)}`),
    );
    runMetrics?.finished(finished.report);
    return { runId, tasks, ...finished };
  } catch (err) {
    metrics?.failed(err);
    throw err;
  } finally {
    watchdog?.stop();
    clearInterval(backlogTimer);
    clearInterval(refreshTimer);
    await workers?.close();
    outages?.stop();
    if (session && !session.nc.isClosed()) await session.nc.drain();
    await sink?.close();
  }
}

/** Takes the run over from its checkpoint (--resume) or creates its record; the state to resume from, if any. */
async function claimOrCreate(
  store: RunRecordStore,
  options: ClusterRunOptions,
  run: { runId: string; hash: string; ablations: string[]; jsm: NatsSession["jsm"]; log: (line: string) => void },
): Promise<RunState | undefined> {
  const { spec } = options;
  const { runId, hash, ablations } = run;
  if (!options.resume) {
    await store.create({ spec, specHash: hash, ablations, ...(options.sweep !== undefined ? { sweep: options.sweep } : {}) });
    return undefined;
  }
  const record = await store.claim().catch(async (err: unknown) => {
    // A coordinator that died after marking its run done may have left streams behind: remove them now.
    if (err instanceof RunDoneError) await cleanUpRun(run.jsm, runId).catch(() => undefined);
    throw err;
  });
  let resumeState: RunState | undefined;
  if (record.checkpoint) {
    assertResumable(record.checkpoint, { specHash: hash, seed: spec.seed, ablations }, store.location);
    resumeState = record.checkpoint.state;
  } else if (record.specHash !== hash || record.ablations.join(",") !== ablations.join(",")) {
    throw new CheckpointMismatchError(
      "E_CHECKPOINT_MISMATCH",
      `cannot resume run ${runId}: it was started with spec hash ${record.specHash} [${record.ablations.join(", ")}], not ${hash} [${ablations.join(", ")}]`,
    );
  }
  run.log(`maspo: resuming run ${runId} at step ${resumeState?.nextStep ?? 0}`);
  return resumeState;
}

/** Reads each role's backlog every few seconds into the run's metrics (what an autoscaler keys on). */
function pollBacklog(jsm: NatsSession["jsm"], runId: string, runMetrics: CoordinatorMetrics): NodeJS.Timeout {
  const stream = runStreamNames(runId).work;
  return setInterval(() => {
    for (const role of WORKER_ROLES) {
      jsm.consumers.info(stream, workConsumerName(role)).then(
        (info) => runMetrics.metrics.recordBacklog({ role, pending: info.num_pending, ackPending: info.num_ack_pending }),
        () => undefined, // the next poll tries again; a missing sample is all a failure costs
      );
    }
  }, BACKLOG_POLL_MS);
}

/** A done run's streams and record removed (dead letters, if any, kept to expire). */
async function retireRun(jsm: NatsSession["jsm"], runId: string, log: (line: string) => void): Promise<void> {
  try {
    const { deadLetters } = await cleanUpRun(jsm, runId);
    if (deadLetters > 0) log(`maspo: run ${runId} left ${deadLetters} dead letter(s); its dead-letter stream expires in a week`);
  } catch (err) {
    // The report is written: a cleanup that failed costs storage, not the result. --resume <runId> retries it.
    log(
      `maspo: could not remove run ${runId}'s streams and record (${describe(err)}); \`maspo run <spec> --nats <url> --resume ${runId}\` retries`,
    );
  }
}

/** nats-server's default max_payload, when the server does not say. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** Refuses a dataset with an example that alone is over the server's max_payload (PayloadTooLargeError). */
function assertExamplesFit(data: { train: readonly Example[]; heldOut: readonly Example[] }, maxPayload: number): void {
  // One example at a time: a split of 50k examples is not copied, nor encoded all at once.
  const over: { id: string; bytes: number }[] = [];
  for (const split of [data.train, data.heldOut]) {
    for (const example of split) {
      const bytes = encode(example).length;
      if (bytes > maxPayload) over.push({ id: example.id, bytes });
    }
  }
  const [first] = over;
  if (!first) return;
  const more = over.length > 1 ? ` (and ${over.length - 1} more example${over.length > 2 ? "s" : ""})` : "";
  throw new PayloadTooLargeError(`dataset example "${first.id}"${more}, which every task about it carries,`, first.bytes, maxPayload);
}

/** The servers to name in a suggested command (the options never hold credentials: URLs with them are refused). */
function natsUrlOf(nats: NatsAuthOptions): string {
  return Array.isArray(nats.servers) ? nats.servers.join(",") : String(nats.servers);
}

function describe(err: unknown): string {
  if (err instanceof MaspoError) return err.message;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

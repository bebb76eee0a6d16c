/**
 * A run in one process, no NATS: the embedded default. It is the cluster's path, in process: the
 * worker protocol's tasks go through an in-process WorkQueue to the very task handler a worker
 * process runs (same adapters, same validation, same retries and failure semantics), and the
 * coordinator's EngineWorkers read their results back from the queue's results log, as over
 * JetStream. Only the response cache (a directory) and the checkpoint (a file) differ.
 *
 * With `metricsPort` it serves on /metrics what a cluster's coordinator and workers would (run,
 * task and LLM metrics, in one registry, labelled with the run); with `metricsRegistry` it adds
 * them to a registry another serves (a sweep's).
 *
 * With `record` it keeps every LLM exchange in a recording; with `replay` it answers every LLM
 * request from one, offline (run-recording.ts).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Ablations, type LlmCaller, type RunSpec, ablationNames } from "@maspo/core";
import { FileCheckpointStore, type RunState, assertResumable } from "@maspo/coordinator";
import { LlmMetrics, TaskMetrics } from "@maspo/cluster";
import { FileResponseCache, type FileResponseCacheOptions, MemorySpendLedger, RecordingError } from "@maspo/llm";
import { clusterRunId } from "./cluster-run.js";
import type { RunProgress } from "./run-progress.js";
import {
  RunRefusedError,
  assertLensesKept,
  createRunLlmClient,
  resolveData,
  runEndpoints,
  runJob,
  specHash,
  workerContextOf,
  type RunOutcome,
} from "./run-job.js";
import { startInProcessWorkers } from "./in-process-workers.js";
import { CoordinatorMetrics, type RunMetricsOptions, llmUsesOf, openRunMetrics } from "./run-metrics.js";
import { type Recording, type Replay, openReplay, replayEnv, secretsOf, startRecording } from "./run-recording.js";

export interface EmbeddedRunOptions extends RunMetricsOptions {
  spec: RunSpec;
  /** Directory of the spec file: relative dataset paths were resolved against it. */
  specDir: string;
  outDir: string;
  /** Continue from the checkpoint in outDir. */
  resume: boolean;
  ablations: Ablations;
  env: Record<string, string | undefined>;
  progress: RunProgress;
  /** The LLM response cache's directory (default: `cache` in outDir); a sweep shares one across its runs. */
  cacheDir?: string;
  /** Wraps the LLM caller (tests record every request through it). */
  wrapLlm?: (llm: LlmCaller, phase: () => "optimize" | "finish") => LlmCaller;
  /** The run's `run` label on its metrics; default the run id a cluster run of it would have. */
  runId?: string;
  /** The sweep the run belongs to: its metrics' `sweep` label. */
  sweep?: string;
  /** Lines for the operator (where the metrics are served); never secrets. */
  log?: (line: string) => void;
  /** Keep every LLM exchange of the run in this directory (new or empty): `maspo run --record`. */
  recordDir?: string;
  /** Answer every LLM request from the recording in this directory, offline: `maspo run --replay`. */
  replayDir?: string;
  /** The maspo version, written into a recording's manifest. */
  maspoVersion?: string;
}

export async function runEmbedded(options: EmbeddedRunOptions): Promise<RunOutcome> {
  const { spec, outDir, progress } = options;
  // Refused before anything is created: a run that drops a lens must say it is an ablation.
  assertLensesKept(options.spec, options.ablations);
  const data = await resolveData(spec, options.specDir);
  const ablations = ablationNames(options.ablations);
  const hash = specHash(spec);
  const store = new FileCheckpointStore(outDir);

  let resumeState: RunState | undefined;
  if (options.resume) {
    const checkpoint = await store.load();
    if (!checkpoint) throw new RunRefusedError("E_NO_CHECKPOINT", `nothing to resume: ${store.location} does not exist`);
    assertResumable(checkpoint, { specHash: hash, seed: spec.seed, ablations }, store.location);
    resumeState = checkpoint.state;
    progress.message(`resuming from ${store.location} at step ${resumeState.nextStep}`);
  }
  const { recording, replay } = await recordOrReplay(options, { spec, ablations, train: data.train, heldOut: data.heldOut });

  await mkdir(outDir, { recursive: true });
  // The metrics a cluster's coordinator and workers would export, in one registry.
  const sink = await openRunMetrics(options, "embedded");
  if (sink?.url !== undefined) options.log?.(`maspo: metrics on ${sink.url}`);
  const labels = { run: options.runId ?? clusterRunId(spec, ablations), ...(options.sweep !== undefined ? { sweep: options.sweep } : {}) };
  const coordinator = sink ? new CoordinatorMetrics(sink.registry, labels, spec) : undefined;
  const llmMetrics = sink ? new LlmMetrics(sink.registry, labels) : undefined;
  llmMetrics?.init(llmUsesOf(spec));
  // A replay starts from the recorded run's warm answers only: a cache of this machine's would change the counts.
  const cache = replay
    ? replay.cache()
    : new FileResponseCache(options.cacheDir ?? join(outDir, "cache"), await unpaidSince(options, store));
  // What endpoints served, counted as it happens, and the budget every call reserves against first.
  const ledger = new MemorySpendLedger({
    budgetUsd: spec.stop.budgetUsd ?? null,
    budgetTokens: spec.stop.budgetTokens ?? null,
    tokensPerRoundMax: spec.guards.tokensPerRoundMax ?? null,
    ...(resumeState?.spend ? { carried: resumeState.spend.usage } : {}),
  });
  const client = createRunLlmClient({
    spec,
    ledger,
    // A replay reads no key: nothing it does leaves the process.
    env: replay ? replayEnv(runEndpoints(spec)) : options.env,
    cache: recording ? recording.recorder.wrapCache(cache) : cache,
    world: data.world,
    ...(llmMetrics ? { onEvent: llmMetrics.listener } : {}),
    ...(recording ? { exchanges: (endpoint, inner) => recording.recorder.wrapFetch(endpoint, inner()) } : {}),
    ...(replay ? { exchanges: (endpoint) => replay.replayer.fetchFor(endpoint) } : {}),
  });
  let phase: "optimize" | "finish" = "optimize";
  const llm = options.wrapLlm ? options.wrapLlm(client, () => phase) : client;

  const workers = await startInProcessWorkers({
    context: workerContextOf(spec, data.world, llm),
    endpoints: runEndpoints(spec),
    settings: spec.cluster,
    evaluationShardSize: spec.concurrency.evaluationShardSize,
    ...(sink ? { taskMetrics: new TaskMetrics(sink.registry, labels) } : {}),
    ...(coordinator ? { onEvent: coordinator.onQueueEvent } : {}),
    // The spend goes on from the checkpoint: budget, token guard and the report's cost do not restart.
    ...(resumeState?.spend ? { carriedUsage: resumeState.spend.usage } : {}),
    ledger,
  });
  coordinator?.trackUsage(workers);
  try {
    const job = runJob({
      spec,
      data,
      ablations: options.ablations,
      workers,
      store,
      progress,
      outDir,
      resumeState,
      ledger,
      beforeFinish: () => (phase = "finish"),
      ...(coordinator ? { afterStep: coordinator.afterStep, onPhase: coordinator.onPhase } : {}),
      ...(replay ? { replay: replay.note } : {}),
    });
    // A request the recording cannot answer ends the replay at once (the job's own end is then moot).
    job.catch(() => undefined);
    const outcome = replay ? await Promise.race([job, replay.missed]) : await job;
    if (recording) {
      const counts = await recording.finish(outcome.report);
      options.log?.(`maspo: recorded ${counts.exchanges} LLM exchanges (${counts.cached} warm-cache answers) in ${recording.dir}`);
    }
    coordinator?.finished(outcome.report);
    return outcome;
  } catch (err) {
    coordinator?.failed(err);
    // The run's own error is the one reported; a recording that also failed to close is told, not lost.
    await recording?.abandon().catch((closeErr: unknown) => options.log?.(`maspo: ${(closeErr as Error).message}`));
    throw err;
  } finally {
    await workers.close();
    await sink?.close();
  }
}

/** Opens the run's recording or replay, if asked: both refuse before anything is spent. */
async function recordOrReplay(
  options: EmbeddedRunOptions,
  run: Parameters<typeof startRecording>[1],
): Promise<{ recording?: Recording; replay?: Replay }> {
  const { recordDir, replayDir } = options;
  if (recordDir === undefined && replayDir === undefined) return {};
  if (recordDir !== undefined && replayDir !== undefined) {
    throw new RecordingError("E_RECORDING", "--record and --replay were both given: a run either records its exchanges or replays them");
  }
  if (options.resume) {
    throw new RecordingError(
      "E_RECORDING",
      `--${recordDir !== undefined ? "record" : "replay"} starts a run from its beginning: drop --resume`,
    );
  }
  const version = options.maspoVersion ?? "unknown";
  if (recordDir !== undefined) {
    const recording = await startRecording(recordDir, run, version, secretsOf(runEndpoints(run.spec), options.env));
    options.log?.(`maspo: recording every LLM exchange in ${recordDir}`);
    return { recording };
  }
  const replay = await openReplay(replayDir as string, run);
  options.log?.(
    `maspo: replaying offline from ${replayDir} (recorded ${replay.manifest.createdAt}, ${replay.manifest.exchanges} exchanges); no LLM is called`,
  );
  if (replay.manifest.maspoVersion !== version) {
    options.log?.(
      `maspo: warning: the recording was made by maspo ${replay.manifest.maspoVersion}, this is ${version}; a request the recording lacks stops the replay`,
    );
  }
  return { replay };
}

/**
 * A resumed run with a cache of its own: the answers its killed process paid for after its last
 * checkpoint are in the cache but not in the checkpoint's spend, so the cache says which they are
 * (written after the checkpoint) and the run counts each once as the call it was. A sweep's shared
 * cache cannot tell its runs' entries apart, so it is not asked.
 */
async function unpaidSince(options: EmbeddedRunOptions, store: FileCheckpointStore): Promise<FileResponseCacheOptions> {
  if (!options.resume || options.cacheDir !== undefined) return {};
  const savedAtMs = (await store.load())?.savedAtMs;
  return savedAtMs === undefined ? {} : { unpaidAfterMs: savedAtMs };
}

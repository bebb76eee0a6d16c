/**
 * A run in one process, no NATS: the embedded default. It is the cluster's path, in process: the
 * worker protocol's tasks go through an in-process WorkQueue to the very task handler a worker
 * process runs (same adapters, same validation, same retries and failure semantics), and the
 * coordinator's EngineWorkers read their results back from the queue's results log, as over
 * JetStream. Only the response cache (a directory) and the checkpoint (a file) differ.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Ablations, type LlmCaller, type RunSpec, ablationNames } from "@maspo/core";
import { FileCheckpointStore, type RunState, assertResumable } from "@maspo/coordinator";
import { FileResponseCache } from "@maspo/llm";
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

export interface EmbeddedRunOptions {
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

  await mkdir(outDir, { recursive: true });
  const client = createRunLlmClient({
    spec,
    env: options.env,
    cache: new FileResponseCache(options.cacheDir ?? join(outDir, "cache")),
    world: data.world,
  });
  let phase: "optimize" | "finish" = "optimize";
  const llm = options.wrapLlm ? options.wrapLlm(client, () => phase) : client;

  const workers = await startInProcessWorkers({
    context: workerContextOf(spec, data.world, llm),
    endpoints: runEndpoints(spec),
    settings: spec.cluster,
  });
  try {
    return await runJob({
      spec,
      data,
      ablations: options.ablations,
      workers,
      store,
      progress,
      outDir,
      resumeState,
      beforeFinish: () => (phase = "finish"),
    });
  } finally {
    await workers.close();
  }
}

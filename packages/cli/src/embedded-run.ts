/**
 * `maspo run` in the embedded mode: one process, no NATS. The run job (run-job.ts) is done over
 * direct worker calls with one LLM client, a response cache and a checkpoint in the output directory.
 */
import { join } from "node:path";
import { mkdir } from "node:fs/promises";
import { FileResponseCache, LlmAccounting, type LlmCaller, type RunSpec } from "@maspo/core";
import {
  type Ablations,
  FileCheckpointStore,
  NO_ABLATIONS,
  type Report,
  type RunState,
  type StepEvent,
  assertResumable,
  createEmbeddedWorkers,
  optimize,
} from "@maspo/coordinator";
import type { RunProgress } from "./run-progress.js";
import {
  RunRefusedError,
  ablationNames,
  checkpointSaver,
  createRunLlmClient,
  finishRun,
  optimizeConfigOf,
  resolveData,
  specHash,
  usageOf,
  workerContextOf,
} from "./run-job.js";

export { ABLATION_FLAGS, RunRefusedError, ablationNames, optimizeConfigOf, specHash } from "./run-job.js";

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
  /** Wraps the LLM caller (tests record every request through it). */
  wrapLlm?: (llm: LlmCaller, phase: () => "optimize" | "finish") => LlmCaller;
}

export interface EmbeddedRunResult {
  report: Report;
  files: { md: string; json: string; html: string; checkpoint: string };
}

export async function runEmbedded(options: EmbeddedRunOptions): Promise<EmbeddedRunResult> {
  const { spec, outDir, progress } = options;
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
  const accounting = new LlmAccounting();
  const client = createRunLlmClient({
    spec,
    env: options.env,
    cache: new FileResponseCache(join(outDir, "cache")),
    accounting,
    world: data.world,
  });
  let phase: "optimize" | "finish" = "optimize";
  const llm = options.wrapLlm ? options.wrapLlm(client, () => phase) : client;
  const workers = createEmbeddedWorkers(workerContextOf(spec, data.world, llm), () => usageOf(accounting));
  const config = optimizeConfigOf(spec, data, options.ablations, Date.now());

  const save = checkpointSaver(store, { specHash: hash, seed: spec.seed, ablations });
  const result = await optimize(
    config,
    workers,
    {
      onStep: async (event: StepEvent) => {
        await save(event.state);
        progress.step(event, usageOf(accounting));
      },
      onRound: (event) => progress.round(event, usageOf(accounting)),
    },
    resumeState,
  );
  await save(result.state);
  progress.stop();

  phase = "finish";
  return finishRun({ spec, data, config, result, workers, ablations, specHash: hash, outDir, checkpointLocation: store.location });
}

export { NO_ABLATIONS };

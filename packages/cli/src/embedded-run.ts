/**
 * `maspo run` in the embedded mode: one process, no NATS. It resolves the spec's dataset, metric and
 * endpoints (simlm worlds through simlm's in-process fetch, so the real openai SDK is exercised),
 * runs the coordinator's loop over direct worker calls with a response cache and a checkpoint in
 * the output directory, then runs the held-out split twice and writes the report.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Example,
  FileResponseCache,
  LlmAccounting,
  type LlmCaller,
  LlmClient,
  type LlmEndpoint,
  MaspoError,
  type RunSpec,
  agentGraphOf,
  canonicalJson,
  evaluationModelsOf,
  initialPromptTexts,
  isLabelMetric,
  listModelEndpoints,
  loadDataset,
  parseDuration,
  scoreFinalOutput,
  servingModelOf,
  simlmWorldOf,
} from "@maspo/core";
import {
  type Ablations,
  type Checkpoint,
  FileCheckpointStore,
  NO_ABLATIONS,
  type OptimizeConfig,
  type Report,
  type RunState,
  type StepEvent,
  type UsageTotals,
  assertResumable,
  buildReport,
  createEmbeddedWorkers,
  finish,
  optimize,
  renderHtml,
  renderMarkdown,
} from "@maspo/coordinator";
import { type World, createSimFetch, generateDataset, loadWorld, scoreWorldFinal } from "@maspo/simlm";
import type { RunProgress } from "./run-progress.js";

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

export class RunRefusedError extends MaspoError {}

export const ABLATION_FLAGS: Record<keyof Ablations, string> = {
  noLookahead: "--no-lookahead",
  noMisalignment: "--no-misalignment",
  noRefresh: "--no-refresh",
  globalOnly: "--global-only",
  independent: "--independent",
  noTraces: "--no-traces",
};

export function ablationNames(a: Ablations): string[] {
  return (Object.keys(ABLATION_FLAGS) as (keyof Ablations)[]).filter((k) => a[k]).map((k) => ABLATION_FLAGS[k]);
}

/** A stable fingerprint of what the run was asked to do (no secrets: a spec only names key variables). */
export function specHash(spec: RunSpec): string {
  return createHash("sha256").update(canonicalJson(spec)).digest("hex").slice(0, 16);
}

interface ResolvedData {
  train: Example[];
  heldOut: Example[];
  world: World | undefined;
}

async function resolveData(spec: RunSpec, specDir: string): Promise<ResolvedData> {
  const source = spec.dataset.source;
  if (source.kind === "simlm") {
    const world = loadWorld(source.world);
    const sized: World = {
      ...world,
      data: { ...world.data, ...(source.train !== undefined ? { train: source.train } : {}), ...(source.heldOut !== undefined ? { heldOut: source.heldOut } : {}) },
    };
    const ds = generateDataset(sized);
    return { train: ds.train, heldOut: ds.heldOut, world: sized };
  }
  const ds = await loadDataset(source, { baseDir: specDir });
  return { train: ds.train, heldOut: ds.heldOut, world: undefined };
}

function scorerFor(spec: RunSpec, world: World | undefined): ((out: string, ex: Example) => number | undefined) | undefined {
  const metric = spec.task.metric;
  if (metric.kind === "world") {
    if (!world) throw new RunRefusedError("E_SPEC_METRIC", 'task.metric "world" needs a simlm dataset (dataset.source.kind: simlm)');
    return (out, ex) => (ex.label === undefined ? undefined : scoreWorldFinal(world, { label: ex.label }, out));
  }
  if (isLabelMetric(metric)) return (out, ex) => (ex.label === undefined ? undefined : scoreFinalOutput(metric, out, ex.label));
  return undefined;
}

export function optimizeConfigOf(spec: RunSpec, data: ResolvedData, ablations: Ablations, startedAt: number): OptimizeConfig {
  const graph = agentGraphOf(spec);
  return {
    graph,
    initialPrompts: initialPromptTexts(spec),
    train: data.train,
    seed: spec.seed,
    search: {
      beamSize: spec.search.beamSize,
      rounds: spec.search.rounds,
      epochs: spec.search.epochs,
      childrenPerParent: spec.search.childrenPerParent,
      minibatchSize: Math.min(spec.search.minibatchSize, data.train.length),
      stepsPerAgent: spec.search.stepsPerAgent,
      operators: [...spec.search.operators],
    },
    misalignment: { bufferBudget: spec.misalignment.bufferBudget, casesPerStep: spec.misalignment.casesPerStep },
    weights: { local: spec.weights.local, lookahead: spec.weights.lookahead, global: spec.weights.global },
    guards: {
      finalMetricFloor: spec.guards.finalMetricFloor ?? null,
      localValidityFloor: spec.guards.localValidityFloor ?? null,
      tokensPerRoundMax: spec.guards.tokensPerRoundMax ?? null,
    },
    stop: {
      targetMetric: spec.stop.targetMetric ?? null,
      patience: spec.stop.patience,
      // The schema only admits valid durations, so this is always a number of milliseconds.
      deadlineAt: startedAt + (parseDuration(spec.stop.deadline) ?? 0),
      budgetUsd: spec.stop.budgetUsd ?? null,
    },
    ablations,
  };
}

function usageOf(accounting: LlmAccounting): UsageTotals {
  const totals = { calls: 0, tokens: 0, usd: 0, cacheHits: 0 };
  for (const r of accounting.snapshot().rows) {
    totals.calls += r.calls;
    totals.tokens += r.promptTokens + r.completionTokens;
    totals.usd += r.costUsd;
    totals.cacheHits += r.cacheHits;
  }
  return totals;
}

export async function runEmbedded(options: EmbeddedRunOptions): Promise<EmbeddedRunResult> {
  const { spec, outDir, progress } = options;
  const data = await resolveData(spec, options.specDir);
  const scoreFinal = scorerFor(spec, data.world);
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
  const worlds = new Map<string, typeof fetch>();
  const endpoints: LlmEndpoint[] = listModelEndpoints(spec);
  const accounting = new LlmAccounting();
  const client = new LlmClient({
    endpoints,
    env: options.env,
    cache: new FileResponseCache(join(outDir, "cache")),
    accounting,
    fetchFor: (endpoint) => {
      const name = simlmWorldOf(endpoint);
      if (name === undefined) return undefined;
      let f = worlds.get(name);
      if (!f) {
        f = createSimFetch({ world: data.world && data.world.name === name ? data.world : loadWorld(name) }) as typeof fetch;
        worlds.set(name, f);
      }
      return f;
    },
  });
  let phase: "optimize" | "finish" = "optimize";
  const llm = options.wrapLlm ? options.wrapLlm(client, () => phase) : client;
  const evaluation = evaluationModelsOf(spec);
  const graph = agentGraphOf(spec);
  const workers = createEmbeddedWorkers(
    {
      graph,
      llm,
      seed: spec.seed,
      judgeModels: evaluation,
      optimizer: { model: spec.optimizer.model, temperature: spec.optimizer.temperature },
      ...(scoreFinal ? { scoreFinal } : {}),
    },
    () => usageOf(accounting),
  );
  const config = optimizeConfigOf(spec, data, options.ablations, Date.now());

  const save = (state: RunState): Promise<void> => {
    const checkpoint: Checkpoint = { v: 1, specHash: hash, seed: spec.seed, ablations, savedAt: new Date().toISOString(), state };
    return store.save(checkpoint);
  };
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

  // Optimization is over: only now is the held-out split run, twice.
  phase = "finish";
  const finished = await finish(
    {
      graph,
      initialPrompts: config.initialPrompts,
      finalPrompts: result.finalPrompts,
      train: data.train,
      heldOut: data.heldOut,
      state: result.state,
      seed: spec.seed,
      minibatchSize: config.search.minibatchSize,
      weights: config.weights,
    },
    workers,
  );
  const stop = result.state.stopReason ?? "";
  const report = buildReport({
    title: `maspo report — ${spec.name ?? spec.task.name}`,
    state: result.state,
    initialPrompts: config.initialPrompts,
    heldOut: finished.heldOut,
    perAgent: finished.perAgent,
    unrepaired: finished.unrepaired,
    models: {
      optimizer: spec.optimizer.model,
      evaluator: evaluation,
      serving: Object.fromEntries(graph.agents.map((a) => [a.id, servingModelOf(spec, a.id)])),
    },
    ablations,
    cost: usageOf(accounting),
    seed: spec.seed,
    specHash: hash,
    ...(data.world ? { world: data.world.name } : {}),
    budgetBound: /deadline|budget|all rounds/.test(stop),
  });
  const files = {
    md: join(outDir, "report.md"),
    json: join(outDir, "report.json"),
    html: join(outDir, "report.html"),
    checkpoint: store.location,
  };
  await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(files.md, renderMarkdown(report));
  await writeFile(files.html, renderHtml(report));
  return { report, files };
}

export { NO_ABLATIONS };

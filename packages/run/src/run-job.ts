/**
 * What a `maspo run` is, whichever way its work is done: the spec's data and metric resolved, the
 * optimizer's configuration, the LLM client a worker uses (simlm worlds through simlm's in-process
 * fetch, so the real openai SDK is exercised), the worker context, and the end of a run — the
 * held-out split run twice and the report written. The embedded mode (embedded-run.ts) and the
 * cluster mode (cluster-run.ts, worker-loop.ts) differ only in the queue the tasks travel on.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Ablations,
  ablationNames,
  type EngineWorkers,
  type Example,
  MaspoError,
  Rng,
  type RunSpec,
  type RunSpend,
  type WorkerContext,
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
  startingConfigOverrides,
  type FinalScorer,
  type SplitRecord,
} from "@maspo/core";
import {
  type LlmAccounting,
  LlmClient,
  type LlmEndpoint,
  type LlmEventListener,
  type RateLimiter,
  type ResponseCache,
  preciseNow,
  type SpendLedger,
} from "@maspo/llm";
import {
  type CheckpointStore,
  type FinalMeasure,
  type StepEvent,
  optimize,
  type OptimizeConfig,
  type OptimizeResult,
  type Report,
  type RunState,
  buildReport,
  finish,
  renderHtml,
  renderMarkdown,
} from "@maspo/coordinator";
import type { QueueWorkers } from "@maspo/cluster";
import { codeTestsScorer } from "./code-tests/code-tests-metric.js";
import { moduleMetricScorer } from "./module-metric.js";
import { oracleGapOf } from "./oracle-gap.js";
import { preflight } from "./preflight.js";
import type { RunProgress } from "./run-progress.js";
import { type World, createSimFetch, generateDataset, loadWorld, worldScorer } from "@maspo/simlm";

export class RunRefusedError extends MaspoError<"E_SPEC_DATASET" | "E_SPEC_METRIC" | "E_NO_CHECKPOINT" | "E_WEIGHTS_DROP_LENS"> {}

/** A `/metrics` port: a number, or "auto" for any free one (0 or absent: no metrics server). */
export type MetricsPort = number | "auto";

/** A stable fingerprint of what the run was asked to do (no secrets: a spec only names key variables). */
export function specHash(spec: RunSpec): string {
  return createHash("sha256").update(canonicalJson(spec)).digest("hex").slice(0, 16);
}

export interface ResolvedData {
  train: Example[];
  heldOut: Example[];
  world: World | undefined;
  /** How one file was split into train and held-out, when the spec asked for a split. */
  split?: SplitRecord;
}

/** The simlm world of a spec's simlm dataset, sized as the spec asks; undefined for file datasets. */
export function worldOfSpec(spec: RunSpec): World | undefined {
  const source = spec.dataset.source;
  if (source.kind !== "simlm") return undefined;
  const world = loadWorld(source.world);
  return {
    ...world,
    data: {
      ...world.data,
      ...(source.train !== undefined ? { train: source.train } : {}),
      ...(source.heldOut !== undefined ? { heldOut: source.heldOut } : {}),
    },
  };
}

export async function resolveData(spec: RunSpec, specDir: string): Promise<ResolvedData> {
  const world = worldOfSpec(spec);
  if (world) {
    const ds = generateDataset(world);
    return withheldLabels(spec, { train: ds.train, heldOut: ds.heldOut, world });
  }
  const source = spec.dataset.source;
  if (source.kind === "simlm") throw new RunRefusedError("E_SPEC_DATASET", "a simlm dataset without its world");
  const ds = await loadDataset(source, { baseDir: specDir });
  return withheldLabels(spec, { train: ds.train, heldOut: ds.heldOut, world: undefined, ...(ds.split ? { split: ds.split } : {}) });
}

/**
 * A `judge` task is label-free: whatever labels its dataset has (a simlm world's always has) are
 * withheld before any of it reaches the loop, a worker, a checkpoint or the finish, so the run can
 * only learn and report what the judge tells it.
 */
function withheldLabels(spec: RunSpec, data: ResolvedData): ResolvedData {
  if (spec.task.metric.kind !== "judge") return data;
  const strip = (examples: Example[]): Example[] => examples.map(({ label: _label, ...rest }) => rest);
  return { ...data, train: strip(data.train), heldOut: strip(data.heldOut) };
}

/**
 * How the round metric on the train pool is measured: the task metric, unless the run has no labels
 * to score it with — a judge task, or a label metric whose train pool is unlabelled (only held-out
 * must be labelled) — where it is the current graph's judged win rate against the baseline graph.
 */
export function trainMeasureOf(spec: RunSpec, trainPool: readonly Example[]): FinalMeasure {
  const metric = spec.task.metric;
  if (metric.kind === "judge") return "judge-vs-baseline";
  if (isLabelMetric(metric) && trainPool.every((e) => e.label === undefined)) return "judge-vs-baseline";
  return "task-metric";
}

/** How held-out is measured: the task metric (its examples are labelled), or for a judge task the judged win rate vs the baseline. */
export function heldOutMeasureOf(spec: RunSpec): FinalMeasure {
  return spec.task.metric.kind === "judge" ? "judge-vs-baseline" : "task-metric";
}

export function scorerFor(spec: RunSpec, world: World | undefined): FinalScorer | undefined {
  const metric = spec.task.metric;
  if (metric.kind === "world") {
    if (!world) throw new RunRefusedError("E_SPEC_METRIC", 'task.metric "world" needs a simlm dataset (dataset.source.kind: simlm)');
    return worldScorer(world);
  }
  if (isLabelMetric(metric)) return (out, ex) => (ex.label === undefined ? undefined : scoreFinalOutput(metric, out, ex.label));
  if (metric.kind === "code_tests") return codeTestsScorer(metric);
  if (metric.kind === "module") return moduleMetricScorer(metric);
  return undefined;
}

/** The train pool the loop sees: the whole train split, or a seeded sample of `size` from it (in split order). */
export function trainPoolOf(train: readonly Example[], size: number | undefined, seed: number): Example[] {
  if (size === undefined || size >= train.length) return [...train];
  const keep = new Set(
    Rng.derive(seed, "train-pool").sample(
      train.map((e) => e.id),
      size,
    ),
  );
  return train.filter((e) => keep.has(e.id));
}

/**
 * The run's data as a run holds it: the train split cut to the train pool (trainPoolOf; the whole split
 * when search.trainPool is unset), held-out as it is. The loop and the finish see only the pool, so a
 * coordinator on 50k train examples with a pool of 16 keeps 16 of them while it runs, not the split.
 */
export function withTrainPool(spec: RunSpec, data: ResolvedData): ResolvedData {
  return { ...data, train: trainPoolOf(data.train, spec.search.trainPool, spec.seed) };
}

/**
 * A weight of 0 removes a lens, which the method allows only as a labelled ablation: a run whose
 * weights drop lookahead or global (or local and lookahead together) must say so with the matching
 * flag, or it would be reported as full MASPO.
 */
export function assertLensesKept(spec: RunSpec, ablations: Ablations): void {
  const w = spec.weights;
  const problems: string[] = [];
  if (w.lookahead === 0 && !ablations.noLookahead && !ablations.globalOnly && !ablations.independent) {
    problems.push("weights.lookahead is 0, which drops Lookahead Potential: run it as the ablation --no-lookahead");
  }
  if (w.global === 0 && !ablations.independent) {
    problems.push("weights.global is 0, which drops Global Alignment: run it as the ablation --independent (local only)");
  }
  if (w.local === 0 && w.lookahead === 0 && !ablations.globalOnly) {
    problems.push(
      "weights.local and weights.lookahead are 0, which scores by the final outcome alone: run it as the ablation --global-only",
    );
  }
  if (problems.length > 0) {
    throw new RunRefusedError(
      "E_WEIGHTS_DROP_LENS",
      `the spec's weights remove a lens of the joint reward:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }
}

export function optimizeConfigOf(spec: RunSpec, data: ResolvedData, ablations: Ablations, startedAt: number): OptimizeConfig {
  const graph = agentGraphOf(spec);
  const train = trainPoolOf(data.train, spec.search.trainPool, spec.seed);
  const measure = trainMeasureOf(spec, train);
  return {
    graph,
    initialPrompts: initialPromptTexts(spec),
    train,
    seed: spec.seed,
    search: {
      beamSize: spec.search.beamSize,
      rounds: spec.search.rounds,
      epochs: spec.search.epochs,
      childrenPerParent: spec.search.childrenPerParent,
      // No larger than the pool it is drawn from (the pool, not the split: the same whether or not the caller cut the data to it).
      minibatchSize: Math.min(spec.search.minibatchSize, train.length),
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
      budgetTokens: spec.stop.budgetTokens ?? null,
    },
    ablations,
    ...(measure !== "task-metric" ? { measure } : {}),
  };
}

export interface RunLlmClientOptions {
  spec: RunSpec;
  /** Where API keys are read (each endpoint's `apiKeyEnv`): the process's own environment. */
  env: Record<string, string | undefined>;
  cache: ResponseCache;
  /** The sized world of the spec's simlm dataset, if any: its simlm endpoints answer from it. */
  world: World | undefined;
  accounting?: LlmAccounting;
  onEvent?: LlmEventListener;
  /** The run's spend ledger: every served attempt settled in it, the budget reserved against it. */
  ledger?: SpendLedger;
  /** Where endpoints' rate limits are kept (the cluster's KV); default this process's limiter. */
  rateLimiter?: RateLimiter;
  /**
   * Where each endpoint's HTTP exchanges go (run-recording.ts): through a recorder to the endpoint's
   * own fetch (`inner`), or to a replayer that never calls `inner`. Absent: straight to the endpoint.
   */
  exchanges?: (endpoint: LlmEndpoint, inner: () => typeof fetch | undefined) => typeof fetch | undefined;
}

/** The LLM client for a spec's endpoints; `simlm://<world>` endpoints are answered in process. */
export function createRunLlmClient(options: RunLlmClientOptions): LlmClient {
  const worlds = new Map<string, typeof fetch>();
  const { world } = options;
  return new LlmClient({
    endpoints: runEndpoints(options.spec),
    env: options.env,
    cache: options.cache,
    // A claim must lapse before a dead worker's tasks are redelivered, or redelivery waits on it:
    // half the ack wait (its owner renews it every third of the TTL), at most 10 s.
    claimTtlMs: Math.max(1, Math.min(10_000, Math.floor(options.spec.cluster.ackWaitMs / 2))),
    maxInFlight: options.spec.concurrency.maxInFlight,
    ...(options.accounting ? { accounting: options.accounting } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.ledger ? { ledger: options.ledger } : {}),
    ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
    fetchFor: (endpoint) => {
      const own = (): typeof fetch | undefined => {
        const name = simlmWorldOf(endpoint);
        if (name === undefined) return undefined;
        let f = worlds.get(name);
        if (!f) {
          f = createSimFetch({ world: world && world.name === name ? world : loadWorld(name) }) as typeof fetch;
          worlds.set(name, f);
        }
        return f;
      };
      return options.exchanges ? options.exchanges(endpoint, own) : own();
    },
  });
}

export function runEndpoints(spec: RunSpec): LlmEndpoint[] {
  return listModelEndpoints(spec);
}

/** What the executor, evaluator and mutator need to answer the coordinator's requests for this spec. */
export function workerContextOf(spec: RunSpec, world: World | undefined, llm: WorkerContext["llm"]): WorkerContext {
  const scoreFinal = scorerFor(spec, world);
  const hasAnswer = answerContractOf(spec);
  return {
    graph: agentGraphOf(spec),
    llm,
    seed: spec.seed,
    judgeModels: evaluationModelsOf(spec),
    optimizer: {
      model: spec.optimizer.model,
      temperature: spec.optimizer.temperature,
      ...(spec.optimizer.promptBudgetChars !== undefined ? { promptBudgetChars: spec.optimizer.promptBudgetChars } : {}),
    },
    task: { name: spec.task.name, input: spec.task.input.description, output: spec.task.output.description },
    ...(scoreFinal ? { scoreFinal } : {}),
    ...(hasAnswer ? { hasAnswer } : {}),
  };
}

/**
 * The task's answer contract, read where there is no label (`task.metric.extract`): does a final
 * output state an answer in the required form? A judge compares substance and can prefer a fluent
 * non-answer to a wrong answer; the contract is what keeps a run without labels from optimizing
 * toward outputs that answer nothing. A judge metric states it as `extract`; a label metric's own
 * `extract` (exact_match, numeric) is one too, for its unlabelled examples: an output it cannot read
 * could never be scored right. Labelled examples are scored by their metric and never read it.
 */
export function answerContractOf(spec: RunSpec): ((finalOutput: string) => boolean) | undefined {
  const metric = spec.task.metric;
  if (metric.kind !== "judge" && metric.kind !== "exact_match" && metric.kind !== "numeric") return undefined;
  if (metric.extract === undefined) return undefined;
  const flags = metric.kind === "judge" || (metric.kind === "exact_match" && !metric.caseSensitive) ? "i" : "";
  const pattern = new RegExp(metric.extract, flags);
  return (finalOutput) => pattern.test(finalOutput);
}

export interface RunFiles {
  md: string;
  json: string;
  html: string;
  checkpoint: string;
}

/** A finished run: its report and where its files are. */
export interface RunOutcome {
  report: Report;
  files: RunFiles;
}

export interface FinishRunInput {
  spec: RunSpec;
  data: ResolvedData;
  config: OptimizeConfig;
  result: OptimizeResult;
  workers: EngineWorkers;
  ablations: string[];
  specHash: string;
  outDir: string;
  /** Where the checkpoint lives, for the printed list of files. */
  checkpointLocation: string;
  /** The run's LLM use per endpoint, model and role, read at the end: the report's cost split. */
  spend?: () => RunSpend;
  /** A replayed run: the report's note saying so, read once the run is over. */
  replay?: () => NonNullable<Report["replay"]>;
}

/** Optimization is over: only now is the held-out split run, twice; then the report is written. */
export async function finishRun(input: FinishRunInput): Promise<RunOutcome> {
  const { spec, data, config, result, workers } = input;
  const graph = config.graph;
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
      measure: heldOutMeasureOf(spec),
    },
    workers,
  );
  const stop = result.state.stopReason ?? "";
  const report = buildReport({
    title: `maspo report — ${spec.name ?? spec.task.name}`,
    state: result.state,
    initialPrompts: config.initialPrompts,
    heldOut: finished.heldOut,
    trainMeasure: config.measure ?? "task-metric",
    finalMetricFloor: config.guards.finalMetricFloor,
    localValidityFloor: config.guards.localValidityFloor,
    perAgent: finished.perAgent,
    unrepaired: finished.unrepaired,
    heldOutFailures: finished.heldOutFailures,
    overrides: startingConfigOverrides(spec).map((o) => ({ ...o, reason: o.reason ?? "(none given: the spec was not validated)" })),
    patience: spec.stop.patience,
    finalAgent: graph.final,
    models: {
      optimizer: spec.optimizer.model,
      evaluator: evaluationModelsOf(spec),
      serving: Object.fromEntries(graph.agents.map((a) => [a.id, servingModelOf(spec, a.id)])),
    },
    ablations: input.ablations,
    cost: (await workers.refreshUsage?.(), workers.usage()),
    ...(input.spend ? { usageRows: input.spend().usage.rows } : {}),
    // simlm: the world's oracle on this held-out split, computed from the world (no call).
    ...(data.world
      ? { oracle: oracleGapOf(data.world, finished.heldOut.measure === "task-metric" ? finished.heldOut.final : null, result.finalPrompts) }
      : {}),
    seed: spec.seed,
    specHash: input.specHash,
    ...(data.world ? { world: data.world.name } : {}),
    ...(data.split ? { split: data.split } : {}),
    budgetBound: /deadline|budget|all rounds/.test(stop),
    ...(input.replay ? { replay: input.replay() } : {}),
  });
  await mkdir(input.outDir, { recursive: true });
  const files: RunFiles = {
    md: join(input.outDir, "report.md"),
    json: join(input.outDir, "report.json"),
    html: join(input.outDir, "report.html"),
    checkpoint: input.checkpointLocation,
  };
  await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(files.md, renderMarkdown(report));
  await writeFile(files.html, renderHtml(report));
  return { report, files };
}

export interface RunJobInput {
  /** Probe every endpoint before optimizing (the preflight); off only for callers that probed already. */
  preflight?: boolean;
  spec: RunSpec;
  data: ResolvedData;
  ablations: Ablations;
  /** The coordinator's workers: in process or over JetStream — the job does not know which. */
  workers: QueueWorkers;
  store: CheckpointStore;
  progress: RunProgress;
  outDir: string;
  resumeState: RunState | undefined;
  /** Called after each step's checkpoint (the cluster coordinator updates its metrics here). */
  afterStep?: (event: StepEvent, config: OptimizeConfig) => void;
  /** Called once optimization is over, before the held-out split is run. */
  beforeFinish?: () => void;
  /** Called as the job enters each phase (its metrics show it): preflight, optimizing, finishing. */
  onPhase?: (phase: "preflight" | "optimizing" | "finishing") => void;
  /** A replayed run: the report's note saying so. */
  replay?: () => NonNullable<Report["replay"]>;
  /** The run's spend ledger, whose budget is lifted for the held-out measurement once optimization is over. */
  ledger?: Pick<SpendLedger, "enforce">;
}

/**
 * The run job itself, the same in both modes: optimize (checkpointing after every step), then finish
 * (the held-out split, twice) and write the report.
 */
export async function runJob(input: RunJobInput): Promise<RunOutcome> {
  const { spec, data, workers, progress } = input;
  input.onPhase?.("preflight");
  if (input.preflight !== false) {
    const probes = await preflight(workers, spec);
    progress.message(
      `preflight: ${new Set(probes.map((p) => p.endpointId)).size} endpoint(s) answered (${[...new Set(probes.map((p) => p.endpointId))].join(", ")})`,
    );
  }
  const ablations = ablationNames(input.ablations);
  const hash = specHash(spec);
  const config = optimizeConfigOf(spec, data, input.ablations, Date.now());
  input.onPhase?.("optimizing");
  const save = checkpointSaver(input.store, { specHash: hash, seed: spec.seed, ablations }, () => workers.spend());
  const result = await optimize(
    config,
    workers,
    {
      onStep: async (event: StepEvent) => {
        // The checkpoint and the progress line carry every call served so far (in KV in cluster mode).
        await workers.refreshUsage?.();
        await save(event.state);
        input.afterStep?.(event, config);
        progress.step(event, workers.usage());
      },
      onRound: (event) => progress.round(event, workers.usage()),
    },
    input.resumeState,
  );
  await save(result.state);
  if (result.state.stopReason?.startsWith("budget of ") === true) {
    const spent = workers.usage();
    progress.message(
      `${result.state.stopReason}: $${spent.usd.toFixed(6)} served by the end of optimization (${spent.calls} calls, ${spent.tokens} tokens); the step it ran out in is dropped`,
    );
  }
  progress.stop();
  // Optimization is over. Once no task of its last step runs any more, the held-out measurement is
  // not held to the budget (its figures are the report's; its cost is in the report all the same).
  await workers.idle();
  await input.ledger?.enforce(false);
  input.beforeFinish?.();
  input.onPhase?.("finishing");
  return finishRun({
    spec,
    // The finish draws from the train pool, as the loop did (the same data whether the caller cut it or not).
    data: { ...data, train: config.train },
    config,
    result,
    workers,
    ablations,
    specHash: hash,
    outDir: input.outDir,
    checkpointLocation: input.store.location,
    spend: () => workers.spend(),
    ...(input.replay ? { replay: input.replay } : {}),
  });
}

/**
 * Saves the loop's state after every step as a checkpoint of this run (spec hash, seed and ablations
 * name it), with the run's spend at that moment when `spend` is given, for a resumed run to go on from.
 */
export function checkpointSaver(
  store: CheckpointStore,
  run: { specHash: string; seed: number; ablations: string[] },
  spend?: () => RunSpend,
): (state: RunState) => Promise<void> {
  return (state) => {
    const savedAtMs = preciseNow();
    return store.save({
      v: 1,
      ...run,
      savedAt: new Date(savedAtMs).toISOString(),
      savedAtMs,
      state: spend ? { ...state, spend: spend() } : state,
    });
  };
}

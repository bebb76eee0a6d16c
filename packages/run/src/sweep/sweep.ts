/**
 * Running a sweep: its runs go concurrently (at most `maxParallel` at once), embedded in this process
 * with one LLM response cache shared by every run, or each as a cluster run over NATS served by one
 * pool of workers. A run that fails is recorded and the others go on; `resume` finishes a half-done
 * sweep without re-running finished runs. The summary (JSON, Markdown, HTML) is rewritten as runs end,
 * so a sweep watched from outside always has a current one. With `metricsPort` it serves every run's
 * metrics (labelled with the run and the sweep) and the sweep's progress on /metrics. With
 * `recordDir` every embedded run records its LLM exchanges under `<recordDir>/runs/<label>/`; with
 * `replayDir` every run replays from there, offline (run-recording.ts).
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SweepMetrics, createMetricsRegistry, startMetricsServer, type NatsAuthOptions, type Registry } from "@maspo/cluster";
import { MaspoError, NO_ABLATIONS } from "@maspo/core";
import { ReportSchema } from "@maspo/coordinator";
import pLimit from "p-limit";
import { runCluster } from "../cluster-run.js";
import { RunNotFoundError } from "../cluster/run-record-store.js";
import { runEmbedded } from "../embedded-run.js";
import { SILENT_PROGRESS } from "../run-progress.js";
import { assertEmptyRecordDir } from "../run-recording.js";
import { type MetricsPort, type RunOutcome, specHash } from "../run-job.js";
import { lingerThenClose } from "../run-metrics.js";
import type { SweepPlan, SweepRun } from "./sweep-plan.js";
import {
  type SweepRunResult,
  type SweepSummary,
  reportLink,
  renderSweepHtml,
  renderSweepMarkdown,
  summarizeSweep,
} from "./sweep-summary.js";

export class SweepRefusedError extends MaspoError<"E_SWEEP_EXISTS"> {}

/** What a sweep tells whoever watches it. */
export interface SweepProgress {
  runStarted(run: SweepRun, counts: SweepCounts): void;
  runFinished(result: SweepRunResult, counts: SweepCounts): void;
}

export interface SweepCounts {
  total: number;
  done: number;
  running: number;
  failed: number;
}

export interface SweepOptions {
  plan: SweepPlan;
  outDir: string;
  /** Runs at once; default the plan's maxParallel, else 2. */
  maxParallel?: number;
  /** Finish a half-done sweep in outDir: runs with a report are kept, interrupted runs resume. */
  resume: boolean;
  env: Record<string, string | undefined>;
  /** Run on a cluster (a pool of `maspo worker` processes serving every run) instead of in process. */
  nats?: NatsAuthOptions;
  progress?: SweepProgress;
  /**
   * Serve the metrics of every run of the sweep (each labelled with its run and the sweep) and the
   * sweep's progress (`maspo_sweep_runs`) on `/metrics` at this port.
   */
  metricsPort?: MetricsPort;
  /** Keep serving them this long once the sweep is over, so a last scrape sees how it ended. Default 0. */
  metricsLingerMs?: number;
  /** Lines for the operator (where the metrics are served); never secrets. */
  log?: (line: string) => void;
  /** Embedded runs only: record each run's LLM exchanges under `<recordDir>/runs/<label>/` (`maspo sweep --record`). */
  recordDir?: string;
  /** Embedded runs only: replay each run from `<replayDir>/runs/<label>/`, offline (`maspo sweep --replay`). */
  replayDir?: string;
  /** The maspo version, written into each run's recording manifest. */
  maspoVersion?: string;
}

export interface SweepFiles {
  md: string;
  json: string;
  html: string;
}

export interface SweepOutcome {
  summary: SweepSummary;
  files: SweepFiles;
}

const PLAN_FILE = "sweep-plan.json";

export async function sweep(options: SweepOptions): Promise<SweepOutcome> {
  const { plan, outDir } = options;
  if (options.recordDir !== undefined) await assertEmptyRecordDir(options.recordDir);
  await mkdir(outDir, { recursive: true });
  await claimOutDir(plan, outDir, options.resume);
  const metricsPort = options.metricsPort ?? 0;
  const registry = metricsPort !== 0 ? createMetricsRegistry(options.nats ? "coordinator" : "embedded") : undefined;
  const server = registry ? await startMetricsServer(registry, { port: metricsPort === "auto" ? 0 : metricsPort }) : undefined;
  if (server) options.log?.(`maspo sweep: metrics on ${server.url}`);
  try {
    return await runSweep(options, registry);
  } finally {
    if (server) await lingerThenClose(server, options.metricsLingerMs ?? 0);
  }
}

async function runSweep(options: SweepOptions, registry: Registry | undefined): Promise<SweepOutcome> {
  const { plan, outDir } = options;
  const files: SweepFiles = { md: join(outDir, "sweep.md"), json: join(outDir, "sweep.json"), html: join(outDir, "sweep.html") };
  const results = new Map<string, SweepRunResult>(
    plan.runs.map((r) => [r.label, { label: r.label, configuration: r.configuration, seed: r.seed, status: "pending" }]),
  );
  const counts = (): SweepCounts => {
    const all = [...results.values()];
    return {
      total: all.length,
      done: all.filter((r) => r.status === "done").length,
      running,
      failed: all.filter((r) => r.status === "failed").length,
    };
  };
  let running = 0;
  const progress = registry ? new SweepMetrics(registry, plan.name) : undefined;
  progress?.record(counts());
  // Summaries are written one at a time, in order, each from the results as they stand then.
  let writing = Promise.resolve();
  const writeSummary = (): Promise<void> => (writing = writing.then(() => writeFiles(files, summarizeSweep(plan, [...results.values()]))));

  const limit = pLimit(options.maxParallel ?? plan.maxParallel ?? 2);
  await Promise.all(
    plan.runs.map((run) =>
      limit(async () => {
        const runDir = join(outDir, "runs", run.label);
        const earlier = options.resume ? await earlierAttempt(runDir, run) : { report: undefined, checkpointed: false };
        if (earlier.report) {
          results.set(run.label, resultOf(run, earlier.report, outDir, runDir));
          progress?.record(counts());
          options.progress?.runFinished(results.get(run.label) as SweepRunResult, counts());
          return;
        }
        running++;
        progress?.record(counts());
        options.progress?.runStarted(run, counts());
        let result: SweepRunResult;
        try {
          const outcome = await runOne(options, run, runDir, earlier.checkpointed, registry);
          result = resultOf(run, outcome.report, outDir, runDir);
        } catch (err) {
          result = { label: run.label, configuration: run.configuration, seed: run.seed, status: "failed", error: describe(err) };
        }
        running--;
        results.set(run.label, result);
        progress?.record(counts());
        options.progress?.runFinished(result, counts());
        await writeSummary();
      }),
    ),
  );
  await writeSummary();
  return { summary: summarizeSweep(plan, [...results.values()]), files };
}

async function runOne(
  options: SweepOptions,
  run: SweepRun,
  runDir: string,
  checkpointed: boolean,
  registry: Registry | undefined,
): Promise<RunOutcome> {
  const { plan } = options;
  // Every run is labelled with the sweep; with metrics served, its series join the sweep's registry.
  const labelled = { sweep: plan.name, ...(registry ? { metricsRegistry: registry } : {}) };
  if (options.nats) {
    const nats = options.nats;
    const onCluster = (resume: boolean) =>
      runCluster({
        spec: run.spec,
        specDir: plan.specDir,
        outDir: runDir,
        runId: sweepRunId(plan, run),
        resume,
        ablations: NO_ABLATIONS,
        nats,
        progress: SILENT_PROGRESS,
        log: () => {},
        ...labelled,
      });
    if (!options.resume) return onCluster(false);
    // Resuming: a run the cluster knows continues from its checkpoint; one it never started starts now.
    return onCluster(true).catch((err: unknown) => {
      if (err instanceof RunNotFoundError) return onCluster(false);
      throw err;
    });
  }
  return runEmbedded({
    spec: run.spec,
    specDir: plan.specDir,
    outDir: runDir,
    // A run interrupted mid-sweep left its checkpoint: resuming it pays for no call twice.
    resume: checkpointed,
    ablations: NO_ABLATIONS,
    env: options.env,
    progress: SILENT_PROGRESS,
    cacheDir: join(options.outDir, "cache"),
    runId: sweepRunId(plan, run),
    ...labelled,
    // Each run keeps its own recording: its exchanges, and the answers other runs left in the shared cache.
    ...(options.recordDir !== undefined ? { recordDir: join(options.recordDir, "runs", run.label) } : {}),
    ...(options.replayDir !== undefined ? { replayDir: join(options.replayDir, "runs", run.label) } : {}),
    ...(options.maspoVersion !== undefined ? { maspoVersion: options.maspoVersion } : {}),
  });
}

/** A run's id on the cluster: the sweep's name and a hash of the run's spec, so a re-run names the same run. */
export function sweepRunId(plan: SweepPlan, run: SweepRun): string {
  const digest = createHash("sha256")
    .update(`${plan.name}\u0000${run.label}\u0000${specHash(run.spec)}`)
    .digest("hex")
    .slice(0, 12);
  return `${plan.name.slice(0, 40)}-${digest}`;
}

function resultOf(run: SweepRun, report: RunOutcome["report"], outDir: string, runDir: string): SweepRunResult {
  return {
    label: run.label,
    configuration: run.configuration,
    seed: run.seed,
    status: "done",
    report: reportLink(outDir, join(runDir, "report.md")),
    heldOut: { baseline: report.delta.heldOut.baseline, final: report.delta.heldOut.final },
    cost: report.cost,
    stopReason: report.stopReason,
  };
}

/** What an earlier attempt at this sweep left of a run: its report (if its spec is still the same), or a checkpoint. */
async function earlierAttempt(runDir: string, run: SweepRun): Promise<{ report: RunOutcome["report"] | undefined; checkpointed: boolean }> {
  const text = await readFile(join(runDir, "report.json"), "utf8").catch(() => undefined);
  if (text !== undefined) {
    const report = ReportSchema.safeParse(JSON.parse(text));
    if (report.success && report.data.specHash === specHash(run.spec)) return { report: report.data, checkpointed: true };
  }
  const checkpointed = await readFile(join(runDir, "checkpoint.json"), "utf8").then(
    () => true,
    () => false,
  );
  return { report: undefined, checkpointed };
}

/** One sweep per output directory: a second one would mix its runs into the first one's summary. */
async function claimOutDir(plan: SweepPlan, outDir: string, resume: boolean): Promise<void> {
  const file = join(outDir, PLAN_FILE);
  const existing = await readFile(file, "utf8").catch(() => undefined);
  const mine = { file: plan.file, runs: plan.runs.map((r) => ({ label: r.label, specHash: specHash(r.spec) })) };
  if (existing !== undefined && !resume) {
    throw new SweepRefusedError(
      "E_SWEEP_EXISTS",
      `${outDir} already holds a sweep (${PLAN_FILE}); add --resume to finish it, or give another --out`,
    );
  }
  await writeFile(file, `${JSON.stringify(mine, null, 2)}\n`);
}

async function writeFiles(files: SweepFiles, summary: SweepSummary): Promise<void> {
  await Promise.all([
    atomicWrite(files.json, `${JSON.stringify(summary, null, 2)}\n`),
    atomicWrite(files.md, renderSweepMarkdown(summary)),
    atomicWrite(files.html, renderSweepHtml(summary)),
  ]);
}

async function atomicWrite(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

function describe(err: unknown): string {
  if (err instanceof MaspoError) return `${String(err.code)}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

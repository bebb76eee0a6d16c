/**
 * The runs the reliability cases measure, as real processes (test/fixtures/maspo-processes.ts): a
 * cluster run (workers + coordinator on a nats-server) or an embedded run of the small math-chain spec
 * on a counting simlm HTTP server, and how a finished run compares with the reference run.
 */
import { firstLines } from "./outcome.js";
import {
  type MaspoProcess,
  type ReportJson,
  type WorkerCounts,
  exitedWithin,
  outputs,
  readReport,
  spawnMaspo,
  startWorkers,
  stopAll,
  tempDir,
} from "../fixtures/maspo-processes.js";

/** How a run is run: one `maspo run` process, or a coordinator and worker processes on NATS. */
export type RunMode = "embedded" | "cluster";

/** The key the runs' specs read (not a secret: the canary case uses its own). */
export const KEY_VAR = "MASPO_TEST_KEY";
export const KEY_ENV = { [KEY_VAR]: "test-key-not-secret" };

export interface ClusterRun {
  coordinator: MaspoProcess;
  workers: MaspoProcess[];
  out: string;
  /** Every process of the run, for failure messages and clean-up. */
  all(): MaspoProcess[];
}

/** Workers for `runId` and its coordinator (`--json-logs`, so steps can be followed). */
export async function startClusterRun(
  spec: string,
  natsUrl: string,
  runId: string,
  options: { counts?: WorkerCounts; args?: string[]; env?: Record<string, string>; workerArgs?: string[] } = {},
): Promise<ClusterRun> {
  const env = options.env ?? KEY_ENV;
  const workers = startWorkers(natsUrl, runId, options.counts ?? { executor: 2, evaluator: 2, mutator: 2 }, options.workerArgs ?? [], env);
  const out = await tempDir("maspo-rel-");
  const coordinator = spawnMaspo(
    "coordinator",
    ["run", spec, "--nats", natsUrl, "--run-id", runId, "--out", out, "--json-logs", ...(options.args ?? [])],
    env,
  );
  const run: ClusterRun = { coordinator, workers, out, all: () => [coordinator, ...run.workers] };
  return run;
}

export interface RunEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process did not exit within the limit (it is then killed). */
  hung: boolean;
  report?: ReportJson;
  /** Every process's output, for a row's detail when the run did not end well. */
  output: string;
  /** What the awaited process itself said went wrong (its error lines), for a row's detail. */
  says: string;
}

/** Waits for `proc` (killing it if it hangs past `ms`), reads its report if it wrote one, and stops `others`. */
export async function endOf(proc: MaspoProcess, out: string, others: MaspoProcess[], ms: number): Promise<RunEnd> {
  let hung = false;
  let exit: { code: number | null; signal: NodeJS.Signals | null };
  try {
    exit = await exitedWithin(proc, ms, [proc, ...others]);
  } catch {
    hung = true;
    proc.child.kill("SIGKILL");
    exit = await proc.exited;
  }
  const output = outputs([proc, ...others]);
  await stopAll(others);
  let report: ReportJson | undefined;
  if (exit.code === 0) report = await readReport(out).catch(() => undefined);
  return { ...exit, hung, output, says: firstLines(proc.output()), ...(report ? { report } : {}) };
}

/** What differs between a run's outcome and the reference's: final prompts and held-out delta ([] = none). */
export function drift(report: ReportJson | undefined, reference: ReportJson): string[] {
  if (!report) return ["no report"];
  const found: string[] = [];
  for (const [agent, prompt] of Object.entries(reference.finalPrompts)) {
    if (report.finalPrompts[agent] !== prompt) found.push(`final prompt of ${agent}`);
  }
  if (JSON.stringify(report.delta.heldOut) !== JSON.stringify(reference.delta.heldOut)) found.push("held-out delta");
  return found;
}

/** The coordinator's last checkpointed step, from its `--json-logs` step lines (0 before the first). */
export function lastStep(proc: MaspoProcess): number {
  let step = 0;
  for (const m of proc.output().matchAll(/"event":"step".*?"index":(\d+)/g)) step = Math.max(step, Number(m[1]));
  return step;
}

/** Resolves with the time (ms) at which the coordinator logs a step after `step`, or when it exits. */
export async function nextStepAfter(proc: MaspoProcess, step: number): Promise<number> {
  await reachedStep(proc, step + 1, 600_000);
  return Date.now();
}

/**
 * Resolves once the coordinator has logged step `step` (or exited, or `ms` passed — a run stuck before
 * it must not hang the case: the caller's end-of-run limit then judges it).
 */
export async function reachedStep(proc: MaspoProcess, step: number, ms = 120_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    proc.waitForLine((l) => stepOf(l) >= step).catch(() => ""),
    proc.exited,
    new Promise<void>((r) => (timer = setTimeout(r, ms))),
  ]);
  clearTimeout(timer);
}

/** The step index of a `--json-logs` step line, or 0 for any other line. */
export function stepOf(line: string): number {
  return /"event":"step"/.test(line) ? Number(/"index":(\d+)/.exec(line)?.[1] ?? 0) : 0;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Reliability case "coordinator kill + resume": a priced run with a $ budget and a token guard
 * (BUDGET_FLAGS: it stops on its budget in round 2, the guard fires in round 1), its coordinator —
 * the embedded process, or the cluster coordinator — killed with SIGKILL at a seeded random step and
 * moment, then resumed. The resumed run must end exactly as the uninterrupted one: final prompts,
 * held-out delta, stop reason, trajectory, guard events and cost (tokens and $, within one call's
 * worst case: the budget holds on every call). LLM calls answered twice are counted: on a cluster the workers outlive the coordinator, so the target is 0;
 * an embedded process takes its calls in flight with it, and those are asked again on resume.
 */
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { type NatsServer, startNatsServer } from "../helpers/nats-server.js";
import {
  BUDGET_CALL_WORST,
  BUDGET_FLAGS,
  type ReportJson,
  httpSpec,
  readReport,
  spawnMaspo,
  startCountingSim,
  tempDir,
} from "../fixtures/maspo-processes.js";
import { type CaseResult, type Figure, atMost, repeatedCalls, seeded, zero } from "./figures.js";
import { KEY_ENV, KEY_VAR, type RunMode, drift, endOf, lastStep, sleep, startClusterRun, reachedStep } from "./runs.js";

export interface ResumeOptions {
  repeats: number;
  modes?: RunMode[];
  seed?: number;
  server?: NatsServer;
}

interface Uninterrupted {
  report: ReportJson;
  steps: number;
}

/** What a resumed run's report must share with the uninterrupted run's, beyond drift. */
function budgetDifferences(report: ReportJson | undefined, whole: ReportJson): string[] {
  if (!report) return ["no report"];
  const found: string[] = [];
  if (report.stopReason !== whole.stopReason) found.push(`stop reason "${report.stopReason}" vs "${whole.stopReason}"`);
  if (JSON.stringify(report.trajectory) !== JSON.stringify(whole.trajectory)) found.push("trajectory");
  if (JSON.stringify(report.guards) !== JSON.stringify(whole.guards)) found.push("guard events");
  // The budget is enforced on every call: which calls of the step it ran out in were served before it did
  // depends on the order they were answered in, so spends agree to within one call's worst case.
  if (Math.abs(report.cost.tokens - whole.cost.tokens) >= BUDGET_CALL_WORST.tokens) {
    found.push(`tokens ${report.cost.tokens} vs ${whole.cost.tokens}`);
  }
  if (Math.abs(report.cost.usd - whole.cost.usd) >= BUDGET_CALL_WORST.usd) found.push(`$ ${report.cost.usd} vs ${whole.cost.usd}`);
  return found;
}

async function uninterruptedRun(): Promise<Uninterrupted> {
  const sim = await startCountingSim({ latencyMs: 2 });
  try {
    const spec = await httpSpec(sim.url, KEY_VAR);
    const out = await tempDir("maspo-rel-");
    const proc = spawnMaspo("uninterrupted", ["run", spec, "--out", out, "--json-logs", ...BUDGET_FLAGS], KEY_ENV);
    const { code } = await proc.exited;
    if (code !== 0) throw new Error(`the uninterrupted budget run failed (${code}):\n${proc.output()}`);
    return { report: await readReport(out), steps: lastStep(proc) };
  } finally {
    await sim.close();
  }
}

/** Response cache entries an embedded run has stored in its output directory. */
async function cacheEntries(out: string): Promise<number> {
  const entries = await readdir(join(out, "cache"), { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.endsWith(".json")).length;
}

async function deadlineIn(out: string): Promise<number | undefined> {
  try {
    return (JSON.parse(await readFile(join(out, "checkpoint.json"), "utf8")) as { state: { deadlineAt?: number } }).state.deadlineAt;
  } catch {
    return undefined;
  }
}

export async function measureCoordinatorResumes(options: ResumeOptions): Promise<CaseResult[]> {
  const modes = options.modes ?? ["embedded", "cluster"];
  const random = seeded(options.seed ?? 1);
  const server = modes.includes("cluster") ? (options.server ?? (await startNatsServer())) : undefined;
  const results: CaseResult[] = [];
  try {
    const whole = await uninterruptedRun();
    for (const mode of modes) {
      const started = Date.now();
      const rows: CaseResult["rows"] = [];
      for (let i = 0; i < options.repeats; i++) {
        const killStep = 1 + Math.floor(random() * (whole.steps - 1));
        const delayMs = Math.floor(random() * 60);
        const sim = await startCountingSim({ latencyMs: 2 });
        try {
          const spec = await httpSpec(sim.url, KEY_VAR);
          const runId = `rel-resume-${i + 1}-${Date.now().toString(36)}`;
          // One worker per role: identical requests in flight within a process are one call, so a body
          // asked twice is a repetition, not two replicas racing.
          const cluster =
            mode === "cluster" && server
              ? await startClusterRun(spec, server.url, runId, { counts: { executor: 1, evaluator: 1, mutator: 1 }, args: BUDGET_FLAGS })
              : undefined;
          const out = cluster?.out ?? (await tempDir("maspo-rel-"));
          const first =
            cluster?.coordinator ?? spawnMaspo("embedded", ["run", spec, "--out", out, "--json-logs", ...BUDGET_FLAGS], KEY_ENV);
          await reachedStep(first, killStep);
          await sleep(delayMs);
          const killed = first.child.exitCode === null;
          first.child.kill("SIGKILL");
          await first.exited;
          const stepAtKill = lastStep(first);
          const deadlineAtKill = mode === "embedded" ? await deadlineIn(out) : undefined;
          // Every body asked so far is stored in the cache unless the call was still in flight (its answer died with the process).
          const inFlightAtKill = mode === "embedded" ? sim.requests.size - (await cacheEntries(out)) : 0;
          const resumeArgs = mode === "cluster" && server ? ["--nats", server.url, "--resume", runId] : ["--resume", out];
          const resumed = spawnMaspo("resumed", ["run", spec, "--out", out, "--json-logs", ...resumeArgs, ...BUDGET_FLAGS], KEY_ENV);
          const end = await endOf(resumed, out, cluster?.workers ?? [], 180_000);
          const differs = [...drift(end.report, whole.report), ...budgetDifferences(end.report, whole.report)];
          if (mode === "embedded" && end.code === 0 && (await deadlineIn(out)) !== deadlineAtKill) differs.push("deadline");
          rows.push({
            run: i + 1,
            killedAtStep: stepAtKill,
            killed,
            exit: end.hung ? "hung" : String(end.code),
            differs: differs.join(", ") || "none",
            repeated: repeatedCalls(sim.requests),
            inFlightAtKill,
            ...(end.code === 0 ? {} : { says: end.says }),
          });
        } finally {
          await sim.close();
        }
      }
      const sum = (k: string) => rows.reduce((n, r) => n + Number(r[k] ?? 0), 0);
      const repeatedFigure: Figure =
        mode === "cluster"
          ? zero("LLM calls answered twice", sum("repeated"), "the workers outlive the coordinator: every call is answered once")
          : atMost(
              "LLM calls answered twice",
              sum("repeated"),
              sum("inFlightAtKill"),
              "calls the killed process had in flight: asked, not in its cache",
              "the embedded process makes its own calls: those in flight die with it and are asked again on resume; every answered call is in its response cache",
            );
      results.push({
        id: `coordinator-resume-${mode}`,
        title: `coordinator kill -9 + resume (${mode})`,
        repeats: options.repeats,
        rows,
        seconds: (Date.now() - started) / 1000,
        figures: [
          zero("runs that did not finish on resume", rows.filter((r) => r.exit !== "0").length),
          zero(
            "runs not identical to the uninterrupted run",
            rows.filter((r) => r.differs !== "none").length,
            "final prompts, held-out delta, stop reason, trajectory, guard events, tokens and $ (within one call)" +
              (mode === "embedded" ? ", and the deadline kept in the checkpoint" : ""),
          ),
          repeatedFigure,
        ],
      });
    }
  } finally {
    if (server && !options.server) await server.dispose();
  }
  return results;
}

/**
 * Cluster mode end to end: a coordinator and 2 executors, 2 evaluators and 1 mutator, each its own OS
 * process, over a real nats-server, reproduce the embedded run of the same spec and seed; every
 * process serves its metrics; workers drain on SIGTERM; a run's id cannot be started twice.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "./helpers/nats-server.js";
import {
  type MaspoProcess,
  type ReportJson,
  SMALL_SPEC,
  embeddedReport,
  exitedWithin,
  metricSum,
  outputs,
  readReport,
  removeTempDirs,
  scrapeMetrics,
  spawnMaspo,
  startWorkers,
  stopAll,
  tempDir,
  waitForStep,
} from "./fixtures/maspo-processes.js";

const RUN = "cluster-run-test";
let server: NatsServer;
let reference: ReportJson;
let workers: MaspoProcess[] = [];
let coordinator: MaspoProcess;
let coordinatorExit: { code: number | null };
let coordinatorMetrics = "";
let workerMetrics: string[] = [];
let out = "";

beforeAll(async () => {
  server = await startNatsServer();
  out = await tempDir();
  const embedded = embeddedReport(SMALL_SPEC);
  workers = startWorkers(server.url, RUN, { executor: 2, evaluator: 2, mutator: 1 });
  coordinator = spawnMaspo("coordinator", [
    "run",
    SMALL_SPEC,
    "--nats",
    server.url,
    "--run-id",
    RUN,
    "--out",
    out,
    "--json-logs",
    "--metrics-port",
    "auto",
  ]);
  await waitForStep(coordinator, 3);
  coordinatorMetrics = await scrapeMetrics(coordinator);
  coordinatorExit = await exitedWithin(coordinator, 100_000, [coordinator, ...workers]);
  workerMetrics = await Promise.all(workers.map(scrapeMetrics));
  reference = await embedded;
}, 120_000);

afterAll(async () => {
  await stopAll(workers);
  await server?.dispose();
  await removeTempDirs();
});

describe("maspo run --nats with worker processes", () => {
  it("gives the same final prompts and held-out result as the embedded run of the same spec and seed", async () => {
    expect(coordinatorExit.code, outputs([coordinator, ...workers])).toBe(0);
    expect(coordinator.output()).toContain(`${out}/report.md`);
    const report = await readReport(out);
    expect(report.finalPrompts).toEqual(reference.finalPrompts);
    expect(report.delta.heldOut).toEqual(reference.delta.heldOut);
    // The replicas share one response cache and claim each request before paying for it; a task result
    // used again counts its requests as cache hits, as redoing the task in process would.
    expect(report.cost).toEqual(reference.cost);
  });

  it("spreads the tasks over every replica, which report tasks and LLM calls per role and model on /metrics", () => {
    const byName = new Map(workers.map((w, i) => [w.name, workerMetrics[i] ?? ""]));
    for (const [name, text] of byName) {
      const role = name.split("-")[0] as string;
      expect(metricSum(text, "maspo_tasks_completed_total", { role }), `${name} completed no task`).toBeGreaterThan(0);
      expect(text).toContain("maspo_task_duration_seconds_bucket");
      expect(text).toMatch(/maspo_tasks_in_flight\{role="\w+",run="cluster-run-test"\} 0/);
    }
    const executor = byName.get("executor-1") ?? "";
    expect(metricSum(executor, "maspo_llm_calls_total", { model: "sim-agent", llm_role: "serving" })).toBeGreaterThan(0);
    const evaluators = (byName.get("evaluator-1") ?? "") + (byName.get("evaluator-2") ?? "");
    expect(metricSum(evaluators, "maspo_llm_calls_total", { llm_role: "evaluator" })).toBeGreaterThan(0);
    expect(metricSum(byName.get("mutator-1") ?? "", "maspo_llm_calls_total", { llm_role: "optimizer" })).toBeGreaterThan(0);
  });

  it("serves the coordinator's run metrics: round, buffer, best scores per agent, tasks submitted", () => {
    expect(coordinatorMetrics).toMatch(/maspo_run_steps_done\{run="cluster-run-test",role="coordinator"\} [3-9]/);
    expect(coordinatorMetrics).toContain("maspo_misalignment_buffer_size");
    expect(coordinatorMetrics).toMatch(/maspo_best_composite\{agent="planner",run="cluster-run-test",role="coordinator"\}/);
    expect(coordinatorMetrics).toMatch(/maspo_best_global\{agent="planner",run="cluster-run-test",role="coordinator"\}/);
    expect(coordinatorMetrics).toContain('maspo_run_phase{phase="optimizing",run="cluster-run-test",role="coordinator"} 1');
    expect(metricSum(coordinatorMetrics, "maspo_tasks_submitted_total", { role: "executor" })).toBeGreaterThan(0);
  });

  it("refuses to start a second coordinator for a run id that already exists", async () => {
    const second = spawnMaspo("second-coordinator", ["run", SMALL_SPEC, "--nats", server.url, "--run-id", RUN, "--out", await tempDir()]);
    const { code } = await second.exited;
    expect(code).toBe(1);
    expect(second.output()).toMatch(/run "cluster-run-test" already exists on this NATS.*--resume/);
  });

  it("a worker started with --exit-when-done for a finished run exits 0 by itself", async () => {
    const [late] = startWorkers(server.url, RUN, { executor: 1, evaluator: 0, mutator: 0 }, ["--exit-when-done"]);
    if (!late) throw new Error("no worker started");
    const { code } = await late.exited;
    expect(code, late.output()).toBe(0);
    expect(late.output()).toContain('"event":"run-done"');
  });

  it("drains every worker on SIGTERM: each stops taking work and exits 0", async () => {
    await stopAll(workers);
    for (const w of workers) {
      const { code } = await w.exited;
      expect(code, w.output()).toBe(0);
      expect(w.output()).toContain('"event":"stopped"');
    }
  });
});

import { describe, expect, it } from "vitest";
import type { LlmAccountingSnapshot } from "@maspo/core";
import { createMetricsRegistry } from "./metrics-registry.js";
import { RunMetrics, SweepMetrics } from "./run-metrics.js";

const row = (over: Partial<LlmAccountingSnapshot["rows"][number]> = {}): LlmAccountingSnapshot["rows"][number] => ({
  endpointId: "sim",
  model: "sim-agent",
  role: "serving",
  calls: 0,
  failedAttempts: 0,
  retries: 0,
  promptTokens: 0,
  completionTokens: 0,
  costUsd: 0,
  cacheHits: 0,
  ...over,
});

describe("run metrics", () => {
  it("show the run's round, buffer, absolute train metrics, relative scores per agent and queue backlog, labelled with the run", async () => {
    const registry = createMetricsRegistry("coordinator", { defaultMetrics: false });
    const run = new RunMetrics(registry, { run: "r1", sweep: "grid" });
    run.recordRun({
      round: 2,
      step: 7,
      totalSteps: 12,
      bufferSize: 5,
      bestTrainMetric: 0.6,
      trainMetric: 0.55,
      agents: [{ agent: "solver", composite: 0.25, global: 0.7 }],
    });
    run.recordBacklog({ role: "evaluator", pending: 9, ackPending: 4 });
    run.recordHeldOut({ baseline: 0.3, final: 0.5 });
    const text = await registry.metrics();
    const labels = 'run="r1",sweep="grid",role="coordinator"';
    expect(text).toContain(`maspo_run_round{${labels}} 2`);
    expect(text).toContain(`maspo_misalignment_buffer_size{${labels}} 5`);
    expect(text).toContain(`maspo_best_train_metric{${labels}} 0.6`);
    expect(text).toContain(`maspo_train_metric{${labels}} 0.55`);
    expect(text).toContain(`maspo_heldout_metric{graph="final",${labels}} 0.5`);
    expect(text).toContain(`maspo_heldout_metric{graph="baseline",${labels}} 0.3`);
    expect(text).toContain(`maspo_best_composite{agent="solver",${labels}} 0.25`);
    expect(text).toContain(`maspo_best_global{agent="solver",${labels}} 0.7`);
    expect(text).toContain('maspo_queue_pending_tasks{role="evaluator",run="r1",sweep="grid"} 9');
    expect(text).toContain('maspo_queue_ack_pending_tasks{role="evaluator",run="r1",sweep="grid"} 4');
    expect(text).toMatch(/# HELP maspo_best_composite Relative:/);
  });

  it("start the task counters and backlog of every role at 0, and show one phase at a time, then the outcome", async () => {
    const registry = createMetricsRegistry("coordinator", { defaultMetrics: false });
    const run = new RunMetrics(registry, { run: "r1" });
    let text = await registry.metrics();
    for (const role of ["executor", "evaluator", "mutator"]) {
      expect(text).toContain(`maspo_tasks_submitted_total{role="${role}",run="r1"} 0`);
      expect(text).toContain(`maspo_tasks_resolved_total{role="${role}",outcome="error",run="r1"} 0`);
      expect(text).toContain(`maspo_queue_pending_tasks{role="${role}",run="r1"} 0`);
    }
    run.setPhase("preflight");
    run.setPhase("optimizing");
    text = await registry.metrics();
    expect(text).toContain('maspo_run_phase{phase="optimizing",run="r1",role="coordinator"} 1');
    expect(text).toContain('maspo_run_phase{phase="preflight",run="r1",role="coordinator"} 0');
    run.recordEnd({ outcome: "done", reason: "all-rounds" });
    text = await registry.metrics();
    expect(text).toContain('maspo_run_phase{phase="done",run="r1",role="coordinator"} 1');
    expect(text).toContain('maspo_run_phase{phase="optimizing",run="r1",role="coordinator"} 0');
    expect(text).toContain('maspo_run_outcome{outcome="done",reason="all-rounds",run="r1",role="coordinator"} 1');
  });

  it("count the run's LLM use and cost from its accounting at each scrape, from 0 for the run's models, and keep runs apart", async () => {
    const registry = createMetricsRegistry("coordinator", { defaultMetrics: false });
    const a = new RunMetrics(registry, { run: "a" });
    const b = new RunMetrics(registry, { run: "b" });
    let rows = [row({ calls: 2, promptTokens: 100, completionTokens: 10, costUsd: 0.25 })];
    a.trackUsage(
      () => ({ rows }),
      [
        { model: "sim-agent", llm_role: "serving" },
        { model: "sim-judge", llm_role: "evaluator" },
      ],
    );
    b.trackUsage(() => ({ rows: [row({ calls: 7 })] }));
    let text = await registry.metrics();
    expect(text).toContain('maspo_run_llm_calls_total{model="sim-agent",llm_role="serving",run="a",role="coordinator"} 2');
    expect(text).toContain('maspo_run_llm_calls_total{model="sim-agent",llm_role="serving",run="b",role="coordinator"} 7');
    expect(text).toContain('maspo_run_llm_tokens_total{model="sim-agent",llm_role="serving",kind="prompt",run="a",role="coordinator"} 100');
    expect(text).toContain('maspo_run_llm_cost_usd_total{model="sim-agent",llm_role="serving",run="a",role="coordinator"} 0.25');
    expect(text).toContain('maspo_run_llm_cost_usd_total{model="sim-judge",llm_role="evaluator",run="a",role="coordinator"} 0');
    // Two endpoints of one model are one series; a counter only goes up by what is new.
    rows = [row({ calls: 3, costUsd: 0.5 }), row({ endpointId: "sim-2", calls: 1, costUsd: 0.25 })];
    text = await registry.metrics();
    expect(text).toContain('maspo_run_llm_calls_total{model="sim-agent",llm_role="serving",run="a",role="coordinator"} 4');
    expect(text).toContain('maspo_run_llm_cost_usd_total{model="sim-agent",llm_role="serving",run="a",role="coordinator"} 0.75');
    a.dispose();
    text = await registry.metrics();
    expect(text).not.toContain('run="a"');
    expect(text).toContain('maspo_run_llm_calls_total{model="sim-agent",llm_role="serving",run="b",role="coordinator"} 7');
  });

  it("count nothing twice when a run is tracked again in the same process (a resumed coordinator reads every result again)", async () => {
    const registry = createMetricsRegistry("coordinator", { defaultMetrics: false });
    new RunMetrics(registry, { run: "a" }).trackUsage(() => ({ rows: [row({ calls: 5 })] }));
    await registry.metrics();
    new RunMetrics(registry, { run: "a" }).trackUsage(() => ({ rows: [row({ calls: 6 })] }));
    const text = await registry.metrics();
    expect(text).toContain('maspo_run_llm_calls_total{model="sim-agent",llm_role="serving",run="a",role="coordinator"} 6');
  });

  it("a sweep's runs by status", async () => {
    const registry = createMetricsRegistry("coordinator", { defaultMetrics: false });
    new SweepMetrics(registry, "grid").record({ total: 5, done: 2, running: 2, failed: 0 });
    const text = await registry.metrics();
    expect(text).toContain('maspo_sweep_runs{sweep="grid",status="pending",role="coordinator"} 1');
    expect(text).toContain('maspo_sweep_runs{sweep="grid",status="running",role="coordinator"} 2');
    expect(text).toContain('maspo_sweep_runs{sweep="grid",status="failed",role="coordinator"} 0');
  });
});

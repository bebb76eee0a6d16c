import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NO_ABLATIONS, loadSpecFile } from "@maspo/core";
import { createMetricsRegistry } from "@maspo/cluster";
import { describe, expect, it } from "vitest";
import { runEmbedded } from "./embedded-run.js";
import { SILENT_PROGRESS } from "./run-progress.js";
import { llmUsesOf, stopKind } from "./run-metrics.js";

const SMALL = new URL("../../../test/fixtures/math-chain-small.yaml", import.meta.url).pathname;

/** The value of the one sample of `name` whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text
    .split("\n")
    .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("a run's metrics", () => {
  it("know the models each worker role calls, by the model name its LLM events carry", async () => {
    const spec = await loadSpecFile(SMALL);
    expect(llmUsesOf(spec, "executor")).toEqual([{ model: "sim-agent", llm_role: "serving" }]);
    expect(llmUsesOf(spec, "evaluator")).toEqual([
      { model: "sim-judge", llm_role: "evaluator" },
      { model: "sim-agent", llm_role: "serving" },
    ]);
    expect(llmUsesOf(spec, "mutator")).toEqual([{ model: "sim-judge", llm_role: "optimizer" }]);
    expect(llmUsesOf(spec)).toHaveLength(3);
  });

  it("name a stop by its kind, a label value without numbers", () => {
    expect(stopKind("budget of $2 spent")).toBe("budget");
    expect(stopKind("target metric 0.9 reached (train 0.912)")).toBe("target");
    expect(stopKind("no global improvement for 2 rounds")).toBe("patience");
    expect(stopKind("all rounds done")).toBe("all-rounds");
    expect(stopKind("deadline reached")).toBe("deadline");
  });

  it("of an embedded run go into one registry: the coordinator's, and the task and LLM metrics its workers would export", async () => {
    const out = await mkdtemp(join(tmpdir(), "maspo-run-metrics-"));
    try {
      const spec = await loadSpecFile(SMALL);
      const registry = createMetricsRegistry("embedded", { defaultMetrics: false });
      const { report } = await runEmbedded({
        spec,
        specDir: join(SMALL, ".."),
        outDir: out,
        resume: false,
        ablations: NO_ABLATIONS,
        env: {},
        progress: SILENT_PROGRESS,
        metricsRegistry: registry,
        runId: "r1",
        sweep: "s1",
      });
      const text = await registry.metrics();
      const run = { run: "r1", sweep: "s1" };
      expect(sample(text, "maspo_run_phase", { ...run, phase: "done" })).toBe(1);
      expect(sample(text, "maspo_run_outcome", { ...run, outcome: "done", reason: "all-rounds" })).toBe(1);
      expect(sample(text, "maspo_heldout_metric", { ...run, graph: "final" })).toBe(report.delta.heldOut.final);
      expect(sample(text, "maspo_best_train_metric", run)).toBeGreaterThan(0);
      // The run's use as the coordinator counted it from task results: the report's, to the call.
      const calls = ["serving", "evaluator", "optimizer"].map(
        (llm_role) => sample(text, "maspo_run_llm_calls_total", { ...run, llm_role }) ?? 0,
      );
      expect(calls.reduce((a, b) => a + b, 0)).toBe(report.cost.calls);
      const completed = sample(text, "maspo_tasks_completed_total", { ...run, role: "executor" }) ?? 0;
      expect(completed).toBeGreaterThan(0);
      expect(sample(text, "maspo_tasks_resolved_total", { ...run, role: "executor", outcome: "ok" })).toBe(completed);
      expect(sample(text, "maspo_tasks_redelivered_total", { ...run, role: "evaluator" })).toBe(0);
      expect(sample(text, "maspo_llm_calls_total", { ...run, model: "sim-agent", llm_role: "serving" })).toBeGreaterThan(0);
      expect(sample(text, "maspo_llm_requests_in_flight", { ...run, model: "sim-agent", llm_role: "serving" })).toBe(0);
      expect(sample(text, "maspo_tasks_in_flight", { ...run, role: "executor" })).toBe(0);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

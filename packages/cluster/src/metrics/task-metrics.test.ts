import { describe, expect, it } from "vitest";
import { createMetricsRegistry } from "./metrics-registry.js";
import { TaskMetrics, recordWorkerSlots } from "./task-metrics.js";

describe("task metrics", () => {
  it("count starts, redeliveries, completions, failures and dead letters per role and run, with the process role as default label", async () => {
    const registry = createMetricsRegistry("evaluator", { defaultMetrics: false });
    const m = new TaskMetrics(registry, { run: "r1" });
    m.observe({ type: "task-started", role: "evaluator", taskId: "t1", deliveryCount: 1 });
    m.observe({ type: "task-started", role: "evaluator", taskId: "t1", deliveryCount: 2 });
    m.observe({ type: "task-completed", role: "evaluator", taskId: "t1", ok: true, durationMs: 1500 });
    m.observe({ type: "task-completed", role: "evaluator", taskId: "t2", ok: false, durationMs: 20 });
    m.observe({ type: "dead-lettered", role: "evaluator", reason: "not msgpack" });
    const text = await registry.metrics();
    expect(text).toContain('maspo_tasks_started_total{role="evaluator",run="r1"} 2');
    expect(text).toContain('maspo_tasks_redelivered_total{role="evaluator",run="r1"} 1');
    expect(text).toContain('maspo_tasks_completed_total{role="evaluator",run="r1"} 1');
    expect(text).toContain('maspo_tasks_failed_total{role="evaluator",run="r1"} 1');
    expect(text).toContain('maspo_tasks_dead_lettered_total{role="evaluator",run="r1"} 1');
    expect(text).toContain('maspo_task_duration_seconds_bucket{le="2.5",role="evaluator",outcome="ok",run="r1"} 1');
    // Ids never become labels.
    expect(text).not.toContain("t1");
  });

  it("start every counter of the process's roles at 0, so rate() works and redelivered reads 0 before the first", async () => {
    const registry = createMetricsRegistry("executor", { defaultMetrics: false });
    new TaskMetrics(registry, { run: "r1", sweep: "s" }).init(["executor"]);
    const text = await registry.metrics();
    for (const name of ["started", "completed", "failed", "redelivered", "retried", "released", "duplicates_dropped", "dead_lettered"]) {
      expect(text).toContain(`maspo_tasks_${name}_total{role="executor",run="r1",sweep="s"} 0`);
    }
    expect(text).toContain('maspo_task_duration_seconds_count{role="executor",outcome="ok",run="r1",sweep="s"} 0');
    expect(text).toContain('maspo_transport_errors_total{run="r1",sweep="s",role="executor"} 0');
  });

  it("keep the runs of one process apart, each in-flight count read at scrape time, and drop a disposed run's series", async () => {
    const registry = createMetricsRegistry("executor", { defaultMetrics: false });
    const a = new TaskMetrics(registry, { run: "a" });
    const b = new TaskMetrics(registry, { run: "b" });
    let inFlight = 3;
    a.trackInFlight("executor", () => inFlight);
    b.trackInFlight("executor", () => 1);
    a.observe({ type: "task-started", role: "executor", taskId: "x", deliveryCount: 1 });
    recordWorkerSlots(registry, 4);
    let text = await registry.metrics();
    expect(text).toContain('maspo_tasks_in_flight{role="executor",run="a"} 3');
    expect(text).toContain('maspo_tasks_in_flight{role="executor",run="b"} 1');
    expect(text).toContain('maspo_worker_slots{role="executor"} 4');
    inFlight = 0;
    expect(await registry.metrics()).toContain('maspo_tasks_in_flight{role="executor",run="a"} 0');
    a.dispose();
    text = await registry.metrics();
    expect(text).not.toContain('run="a"');
    expect(text).toContain('maspo_tasks_in_flight{role="executor",run="b"} 1');
  });
});

import { describe, expect, it } from "vitest";
import { createMetricsRegistry } from "./metrics-registry.js";
import { TaskMetrics } from "./task-metrics.js";

describe("task metrics", () => {
  it("count starts, redeliveries, completions, failures and dead letters per role, with the process role as default label", async () => {
    const registry = createMetricsRegistry("evaluator", { defaultMetrics: false });
    const m = new TaskMetrics(registry);
    m.observe({ type: "task-started", role: "evaluator", taskId: "t1", deliveryCount: 1 });
    m.observe({ type: "task-started", role: "evaluator", taskId: "t1", deliveryCount: 2 });
    m.observe({ type: "task-completed", role: "evaluator", taskId: "t1", ok: true, durationMs: 1500 });
    m.observe({ type: "task-completed", role: "evaluator", taskId: "t2", ok: false, durationMs: 20 });
    m.observe({ type: "dead-lettered", role: "evaluator", reason: "not msgpack" });
    const text = await registry.metrics();
    expect(text).toContain('maspo_tasks_started_total{role="evaluator"} 2');
    expect(text).toContain('maspo_tasks_redelivered_total{role="evaluator"} 1');
    expect(text).toContain('maspo_tasks_completed_total{role="evaluator"} 1');
    expect(text).toContain('maspo_tasks_failed_total{role="evaluator"} 1');
    expect(text).toContain('maspo_tasks_dead_lettered_total{role="evaluator"} 1');
    expect(text).toContain('maspo_task_duration_seconds_bucket{le="2.5",role="evaluator",outcome="ok"} 1');
    // Ids never become labels.
    expect(text).not.toContain("t1");
  });

  it("report in-flight tasks read from the processor at scrape time", async () => {
    const registry = createMetricsRegistry("executor", { defaultMetrics: false });
    const m = new TaskMetrics(registry);
    let inFlight = 3;
    m.trackInFlight("executor", () => inFlight);
    expect(await registry.metrics()).toContain('maspo_tasks_in_flight{role="executor"} 3');
    inFlight = 0;
    expect(await registry.metrics()).toContain('maspo_tasks_in_flight{role="executor"} 0');
  });
});

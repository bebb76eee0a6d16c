import { Counter } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createMetricsRegistry } from "./metrics-registry.js";
import { MetricsServerError, startMetricsServer, type MetricsServer } from "./metrics-server.js";
import { RunMetrics } from "./run-metrics.js";

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe("metrics server", () => {
  it("serves the registry in Prometheus text format on /metrics, health on /healthz, and 404 elsewhere", async () => {
    const registry = createMetricsRegistry("coordinator");
    new Counter({ name: "maspo_test_total", help: "a test counter", registers: [registry] }).inc(2);
    const server = await startMetricsServer(registry, { port: 0, host: "127.0.0.1" });
    servers.push(server);
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toContain('maspo_test_total{role="coordinator"} 2');
    expect(text).toContain("maspo_process_cpu_seconds_total");
    expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
  });

  it("refuses a port already taken, saying how to pick another", async () => {
    const registry = createMetricsRegistry("coordinator", { defaultMetrics: false });
    const first = await startMetricsServer(registry, { port: 0, host: "127.0.0.1" });
    servers.push(first);
    const err = await startMetricsServer(registry, { port: first.port, host: "127.0.0.1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsServerError);
    expect((err as Error).message).toContain("--metrics-port");
  });

  it("shows the run's round, buffer, best scores per agent and queue backlog", async () => {
    const registry = createMetricsRegistry("coordinator", { defaultMetrics: false });
    const run = new RunMetrics(registry);
    run.recordRun({
      round: 2,
      step: 7,
      totalSteps: 12,
      bufferSize: 5,
      bestTrainMetric: 0.6,
      agents: [{ agent: "solver", composite: 0.25, global: 0.7 }],
    });
    run.recordBacklog({ role: "evaluator", pending: 9, ackPending: 4 });
    const text = await registry.metrics();
    expect(text).toContain('maspo_run_round{role="coordinator"} 2');
    expect(text).toContain('maspo_misalignment_buffer_size{role="coordinator"} 5');
    expect(text).toContain('maspo_best_composite{agent="solver",role="coordinator"} 0.25');
    expect(text).toContain('maspo_best_global{agent="solver",role="coordinator"} 0.7');
    expect(text).toContain('maspo_queue_pending_tasks{role="evaluator"} 9');
  });
});

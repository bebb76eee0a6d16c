import { Counter } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createMetricsRegistry } from "./metrics-registry.js";
import { MetricsServerError, startMetricsServer, type MetricsServer } from "./metrics-server.js";

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
});

import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { describeOutageEvent, type NatsOutageEvent } from "../nats/outage-watch.js";
import { NatsMetrics } from "./nats-metrics.js";

async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe("NATS availability metrics", () => {
  it("start at connected, zero outages, and the replicas the process creates with", async () => {
    const registry = new Registry();
    new NatsMetrics(registry).recordReplicas(3);
    expect(await value(registry, "maspo_nats_connected")).toBe(1);
    expect(await value(registry, "maspo_nats_disconnects_total")).toBe(0);
    expect(await value(registry, "maspo_jetstream_leader_elections_total", { kind: "consumer" })).toBe(0);
    expect(await value(registry, "maspo_jetstream_replicas")).toBe(3);
  });

  it("show an outage: down while disconnected, its length once back, servers lost, moves and lost quorums by kind", async () => {
    const registry = new Registry();
    const metrics = new NatsMetrics(registry);
    metrics.observe({ type: "disconnected", server: "127.0.0.1:4222" });
    expect(await value(registry, "maspo_nats_connected")).toBe(0);
    metrics.observe({ type: "reconnected", server: "127.0.0.1:4223", downMs: 1500 });
    metrics.observe({ type: "cluster-changed", added: [], removed: ["127.0.0.1:4222", "127.0.0.1:4224"] });
    metrics.observe({ type: "leader-elected", stream: "MASPO_r_RESULTS", leader: "n2" });
    metrics.observe({ type: "leader-elected", stream: "MASPO_r_WORK", consumer: "maspo-executor", leader: "n3" });
    metrics.observe({ type: "quorum-lost", stream: "MASPO_r_WORK" });
    expect(await value(registry, "maspo_nats_connected")).toBe(1);
    expect(await value(registry, "maspo_nats_disconnects_total")).toBe(1);
    expect(await value(registry, "maspo_nats_disconnected_seconds_total")).toBe(1.5);
    expect(await value(registry, "maspo_nats_cluster_servers_lost_total")).toBe(2);
    expect(await value(registry, "maspo_jetstream_leader_elections_total", { kind: "stream" })).toBe(1);
    expect(await value(registry, "maspo_jetstream_leader_elections_total", { kind: "consumer" })).toBe(1);
    expect(await value(registry, "maspo_jetstream_quorum_lost_total", { kind: "stream" })).toBe(1);
  });
});

describe("outage log lines", () => {
  it.each<[NatsOutageEvent, string]>([
    [{ type: "disconnected", server: "127.0.0.1:4222" }, "lost the NATS connection to 127.0.0.1:4222; reconnecting"],
    [{ type: "reconnected", server: "127.0.0.1:4223", downMs: 2340 }, "reconnected to NATS at 127.0.0.1:4223 after 2.3 s"],
    [{ type: "cluster-changed", added: ["b:1"], removed: ["a:1"] }, "NATS cluster changed: a:1 gone; b:1 joined"],
    [
      { type: "leader-elected", stream: "MASPO_r_WORK", consumer: "maspo-mutator", leader: "n2" },
      "JetStream consumer maspo-mutator of stream MASPO_r_WORK has a new leader: n2",
    ],
    [
      { type: "quorum-lost", stream: "KV_maspo_runs" },
      "JetStream stream KV_maspo_runs lost its quorum (most of its copies are down); it waits for their servers to return",
    ],
  ])("%o reads %s", (event, line) => {
    expect(describeOutageEvent(event)).toBe(line);
  });
});

/**
 * A process's view of NATS availability, fed by the outage watch (nats/outage-watch.ts): whether
 * it is connected now, how often it lost the connection and for how long, servers that left the
 * cluster, and the JetStream leader elections and lost quorums of maspo's streams it was told of.
 * Process-wide, not per run (one connection serves every run of a process), and the replicas its
 * streams are created with, so a dashboard shows an outage, its length, and whether the streams
 * could survive it.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { NatsOutageEvent } from "../nats/outage-watch.js";
import { metricFamily } from "./run-series.js";

type Kind = "stream" | "consumer";

export class NatsMetrics {
  private readonly connected: Gauge;
  private readonly disconnects: Counter;
  private readonly downSeconds: Counter;
  private readonly serversLost: Counter;
  private readonly elections: Counter<"kind">;
  private readonly quorumLost: Counter<"kind">;
  private readonly replicas: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.connected = metricFamily(
      registry,
      "maspo_nats_connected",
      () =>
        new Gauge({ name: "maspo_nats_connected", help: "1 while this process is connected to NATS, 0 while it reconnects.", registers }),
    );
    this.disconnects = metricFamily(
      registry,
      "maspo_nats_disconnects_total",
      () => new Counter({ name: "maspo_nats_disconnects_total", help: "Times this process lost its NATS connection.", registers }),
    );
    this.downSeconds = metricFamily(
      registry,
      "maspo_nats_disconnected_seconds_total",
      () =>
        new Counter({
          name: "maspo_nats_disconnected_seconds_total",
          help: "Time this process spent without a NATS connection, counted when it reconnects.",
          registers,
        }),
    );
    this.serversLost = metricFamily(
      registry,
      "maspo_nats_cluster_servers_lost_total",
      () =>
        new Counter({
          name: "maspo_nats_cluster_servers_lost_total",
          help: "Servers the connected NATS server told this process left the cluster (died, or were stopped).",
          registers,
        }),
    );
    const byKind = (name: string, help: string): Counter<"kind"> =>
      metricFamily(registry, name, () => new Counter({ name, help, labelNames: ["kind"] as const, registers }));
    this.elections = byKind(
      "maspo_jetstream_leader_elections_total",
      "New leaders of maspo's JetStream streams and consumers this process was told of (e.g. after a server died).",
    );
    this.quorumLost = byKind(
      "maspo_jetstream_quorum_lost_total",
      "Times a maspo JetStream stream or consumer lost the majority of its copies (it stalls until they return).",
    );
    this.replicas = metricFamily(
      registry,
      "maspo_jetstream_replicas",
      () => new Gauge({ name: "maspo_jetstream_replicas", help: "Copies of each stream and KV bucket this process creates.", registers }),
    );
    this.connected.set(1);
    this.disconnects.inc(0);
    this.downSeconds.inc(0);
    this.serversLost.inc(0);
    for (const kind of ["stream", "consumer"] as const) {
      this.elections.inc({ kind }, 0);
      this.quorumLost.inc({ kind }, 0);
    }
  }

  recordReplicas(replicas: number): void {
    this.replicas.set(replicas);
  }

  readonly observe = (event: NatsOutageEvent): void => {
    const kind = (e: { consumer?: string }): Kind => (e.consumer === undefined ? "stream" : "consumer");
    switch (event.type) {
      case "disconnected":
        this.connected.set(0);
        this.disconnects.inc();
        return;
      case "reconnected":
        this.connected.set(1);
        this.downSeconds.inc(event.downMs / 1000);
        return;
      case "leader-elected":
        this.elections.inc({ kind: kind(event) });
        return;
      case "quorum-lost":
        this.quorumLost.inc({ kind: kind(event) });
        return;
      case "cluster-changed":
        this.serversLost.inc(event.removed.length);
        return;
    }
  };
}

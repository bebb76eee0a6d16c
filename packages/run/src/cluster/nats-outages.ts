/**
 * The coordinator's and the workers' report of a NATS outage: every event of the outage watch
 * (@maspo/cluster watchNatsOutages — connection lost and back, servers leaving the cluster, new
 * leaders and lost quorums of maspo's streams) as a log line and in the process's NATS metrics, so
 * losing a server is never silent while the run rides it out.
 */
import {
  NatsMetrics,
  describeOutageEvent,
  watchNatsOutages,
  type NatsOutageEvent,
  type NatsOutageWatch,
  type NatsSession,
  type Registry,
} from "@maspo/cluster";

/** Events that mean trouble (warn) rather than recovery (info). */
const TROUBLE: ReadonlySet<NatsOutageEvent["type"]> = new Set(["disconnected", "quorum-lost"]);

export interface NatsOutageReportOptions {
  /** The process's metrics registry, if it serves metrics. */
  registry?: Registry;
  /** The replicas its streams and buckets are created with, for the metrics. */
  replicas: number;
  /** Told each line with its level, and the event it tells of (none: the watch's own trouble). */
  log: (level: "warn" | "info", line: string, event?: NatsOutageEvent) => void;
}

export function reportNatsOutages(nc: NatsSession["nc"], options: NatsOutageReportOptions): NatsOutageWatch {
  const metrics = options.registry ? new NatsMetrics(options.registry) : undefined;
  metrics?.recordReplicas(options.replicas);
  return watchNatsOutages(nc, {
    onEvent: (event) => {
      metrics?.observe(event);
      options.log(TROUBLE.has(event.type) ? "warn" : "info", describeOutageEvent(event), event);
    },
    onTrouble: (context, error) =>
      options.log(
        "warn",
        `cannot ${context} (${error instanceof Error ? error.message : String(error)}); NATS outages are logged from the connection only`,
      ),
  });
}

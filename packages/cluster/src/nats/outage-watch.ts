/**
 * What a maspo process tells about a NATS outage while it rides it out: its own connection going
 * and coming back, a server leaving or joining the cluster (the INFO updates every client gets),
 * and JetStream moving a maspo stream's or consumer's leader to another server or losing its quorum
 * (the account's JetStream advisories). The client reconnects by itself and replicated streams
 * elect a new leader by themselves; this watch only makes it visible — a log line per event and
 * the process's NATS metrics (metrics/nats-metrics.ts) — so an outage is never silent.
 *
 * A new stream's (or consumer's) first leader is elected too: an election is told only when it is
 * a move — the process saw that stream led by another server before, or it happened during an
 * outage this process saw (its connection down, or a server gone from the cluster and not back).
 *
 * Advisories are read for maspo's own streams only (run streams `MASPO_…`, buckets `KV_maspo_…`).
 * A user whose permissions do not allow subscribing to `$JS.EVENT.ADVISORY.>` gets the connection
 * events only; the refusal is reported once through onTrouble.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { z } from "zod";

export type NatsOutageEvent =
  /** This process lost its server; the client is reconnecting (to it or another of the cluster). */
  | { type: "disconnected"; server: string }
  /** Connected again, `downMs` after the disconnect. */
  | { type: "reconnected"; server: string; downMs: number }
  /** The cluster's servers changed, as the connected server tells its clients. */
  | { type: "cluster-changed"; added: string[]; removed: string[] }
  /** A maspo stream (or a consumer of it) has a new leader, e.g. after its leader's server died. */
  | { type: "leader-elected"; stream: string; consumer?: string; leader: string }
  /** A maspo stream (or consumer) lost the majority of its copies: it is stalled until servers return. */
  | { type: "quorum-lost"; stream: string; consumer?: string };

export interface NatsOutageWatchOptions {
  onEvent: (event: NatsOutageEvent) => void;
  /** The watch could not subscribe to the advisories, or read one: told once per kind of trouble. */
  onTrouble?: (context: string, error: unknown) => void;
  /** Streams whose advisories count; default every maspo stream and bucket. */
  streams?: (stream: string) => boolean;
  /** Clock for downMs. Default Date.now. */
  now?: () => number;
}

export interface NatsOutageWatch {
  stop(): void;
}

/** maspo's streams: a run's (`MASPO_<run>_WORK`…) and its KV buckets' (`KV_maspo_…`). */
export function isMaspoStream(stream: string): boolean {
  return stream.startsWith("MASPO_") || stream.startsWith("KV_maspo_");
}

const ADVISORY = "$JS.EVENT.ADVISORY";
// nats-server 2.9 names the leader by its server name; newer servers may send an object.
const AdvisorySchema = z.object({
  stream: z.string(),
  consumer: z.string().optional(),
  leader: z.union([z.string(), z.object({ name: z.string() })]).optional(),
});

export function watchNatsOutages(nc: NatsConnection, options: NatsOutageWatchOptions): NatsOutageWatch {
  const now = options.now ?? Date.now;
  const wanted = options.streams ?? isMaspoStream;
  const troubled = new Set<string>();
  /** Told once per `kind`, so a broken feed is one line, not one per message. */
  const trouble = (kind: string, context: string, error: unknown): void => {
    if (troubled.has(kind)) return;
    troubled.add(kind);
    options.onTrouble?.(context, error);
  };
  let stopped = false;
  /** Whether this process sees an outage now: its connection down, or servers gone from the cluster. */
  let disconnected = false;
  let serversGone = new Set<string>();
  const leaders = new Map<string, string>();

  void (async () => {
    let downSince: number | undefined;
    // The client reports only changes to the servers it discovered, not to those it was given, so
    // the cluster's membership is tracked here from each INFO's connect_urls.
    let members = new Set(nc.info?.connect_urls ?? []);
    for await (const status of nc.status()) {
      if (stopped) return;
      if (status.type === "disconnect") {
        downSince ??= now();
        disconnected = true;
        options.onEvent({ type: "disconnected", server: status.server });
      } else if (status.type === "reconnect") {
        options.onEvent({ type: "reconnected", server: status.server, downMs: downSince === undefined ? 0 : now() - downSince });
        downSince = undefined;
        disconnected = false;
      } else if (status.type === "update") {
        const current = new Set(nc.info?.connect_urls ?? []);
        const added = [...current].filter((u) => !members.has(u));
        const removed = [...members].filter((u) => !current.has(u));
        members = current;
        serversGone = new Set([...serversGone, ...removed].filter((u) => !current.has(u)));
        if (added.length > 0 || removed.length > 0) options.onEvent({ type: "cluster-changed", added, removed });
      }
    }
  })().catch((err: unknown) => trouble("status", "watch the NATS connection", err));

  const subscriptions: Subscription[] = [];
  const follow = (subject: string, kind: "leader-elected" | "quorum-lost"): void => {
    subscriptions.push(
      nc.subscribe(subject, {
        callback: (err, msg) => {
          if (err) return trouble("subscribe", `subscribe to ${subject}`, err);
          let advisory: z.infer<typeof AdvisorySchema>;
          try {
            advisory = AdvisorySchema.parse(msg.json());
          } catch (error) {
            return trouble("read", `read an advisory on ${msg.subject}`, error);
          }
          if (!wanted(advisory.stream)) return;
          const consumer = advisory.consumer !== undefined ? { consumer: advisory.consumer } : {};
          if (kind === "quorum-lost") options.onEvent({ type: "quorum-lost", stream: advisory.stream, ...consumer });
          else {
            const leader = typeof advisory.leader === "string" ? advisory.leader : (advisory.leader?.name ?? "(unnamed)");
            const key = `${advisory.stream}\u0000${advisory.consumer ?? ""}`;
            const before = leaders.get(key);
            leaders.set(key, leader);
            const moved = (before !== undefined && before !== leader) || disconnected || serversGone.size > 0;
            if (moved) options.onEvent({ type: "leader-elected", stream: advisory.stream, ...consumer, leader });
          }
        },
      }),
    );
  };
  follow(`${ADVISORY}.STREAM.LEADER_ELECTED.>`, "leader-elected");
  follow(`${ADVISORY}.STREAM.QUORUM_LOST.>`, "quorum-lost");
  follow(`${ADVISORY}.CONSUMER.LEADER_ELECTED.>`, "leader-elected");
  follow(`${ADVISORY}.CONSUMER.QUORUM_LOST.>`, "quorum-lost");

  return {
    stop() {
      stopped = true;
      for (const sub of subscriptions) sub.unsubscribe();
    },
  };
}

/** The event as one line for an operator's log. */
export function describeOutageEvent(event: NatsOutageEvent): string {
  const what = (e: { stream: string; consumer?: string }): string =>
    e.consumer === undefined ? `stream ${e.stream}` : `consumer ${e.consumer} of stream ${e.stream}`;
  switch (event.type) {
    case "disconnected":
      return `lost the NATS connection to ${event.server}; reconnecting`;
    case "reconnected":
      return `reconnected to NATS at ${event.server} after ${(event.downMs / 1000).toFixed(1)} s`;
    case "cluster-changed": {
      const parts = [
        ...(event.removed.length > 0 ? [`${event.removed.join(", ")} gone`] : []),
        ...(event.added.length > 0 ? [`${event.added.join(", ")} joined`] : []),
      ];
      return `NATS cluster changed: ${parts.join("; ")}`;
    }
    case "leader-elected":
      return `JetStream ${what(event)} has a new leader: ${event.leader}`;
    case "quorum-lost":
      return `JetStream ${what(event)} lost its quorum (most of its copies are down); it waits for their servers to return`;
  }
}

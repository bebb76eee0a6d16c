/**
 * How many copies JetStream keeps of each stream and KV bucket maspo creates. One copy is lost with
 * its server; three survive the loss of any one of three servers (a stream with R replicas goes on
 * while a majority of them is up). So the default follows the NATS cluster:
 *
 *   replicas = min(3, cluster size)      — 1 on a single (unclustered) server
 *
 * where the cluster size is read from the connected server's INFO, the message every NATS client
 * gets on connect (and again whenever a route comes or goes): a server outside a cluster sends no
 * `cluster` field (size 1); a clustered server sends the client URLs of every server of the
 * cluster, itself included, in `connect_urls` (size = their number). A cluster whose servers do
 * not advertise (`no_advertise: true`) sends none: its size is unknown, the default is then 1 and
 * an explicit value is left to the server to accept or refuse. The number of servers up when the
 * process connects is what counts — a cluster started with a server down gets fewer replicas.
 *
 * An explicit value (spec `cluster.replicas`) above the cluster size is refused before a new run
 * creates anything (assertReplicasFit: ReplicasError, E_NATS_REPLICAS); wherever something is
 * created, the server's own refusal (no peers to place the copies on, or replicas on an
 * unclustered server) becomes the same error.
 *
 * A stream or bucket that already exists with fewer replicas (made by an older maspo, or while the
 * cluster was smaller) is scaled up to the value wanted; one with more is never scaled down, since
 * another run or process wanted those copies.
 */
import { JetStreamApiError, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection, ServerInfo } from "@nats-io/transport-node";
import { MaspoError, ReplicasSchema } from "@maspo/core";
import { validate } from "../codec.js";

/** The default never asks for more copies than this: three survive one lost server, five cost more than they add. */
export const DEFAULT_MAX_REPLICAS = 3;

export class ReplicasError extends MaspoError<"E_NATS_REPLICAS"> {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_NATS_REPLICAS", message, options);
  }
}

/** The number of servers in the connected server's cluster, from its INFO; undefined when it does not say. */
export function clusterSizeOf(info: ServerInfo | undefined): number | undefined {
  if (!info) return undefined;
  if (info.cluster === undefined || info.cluster === "") return 1;
  const urls = new Set(info.connect_urls ?? []);
  return urls.size > 0 ? urls.size : undefined;
}

/** The default rule: min(3, cluster size), and 1 when the size is 1 or unknown. */
export function defaultReplicas(clusterSize: number | undefined): number {
  return Math.max(1, Math.min(DEFAULT_MAX_REPLICAS, clusterSize ?? 1));
}

/** What was chosen, and why, for the log line a process prints once. */
export interface ReplicasChoice {
  replicas: number;
  /** Servers in the cluster as the INFO says; undefined when it does not say. */
  clusterSize: number | undefined;
  /** Set by the operator (spec or flag), or the cluster-size default. */
  source: "set" | "default";
}

/**
 * The replicas for streams and buckets created over `nc`: `wanted` if given (1-5), else the
 * default for the cluster. Not checked against the cluster size here: a process that only opens
 * what exists (a worker, a resumed coordinator) must not be refused while a server is down — the
 * server refuses a create it cannot place (placing()), and a new run is checked up front (assertReplicasFit).
 */
export function chooseReplicas(nc: Pick<NatsConnection, "info">, wanted?: number, what = "replicas"): ReplicasChoice {
  const clusterSize = clusterSizeOf(nc.info);
  if (wanted === undefined) return { replicas: defaultReplicas(clusterSize), clusterSize, source: "default" };
  return { replicas: validate(ReplicasSchema, wanted, what), clusterSize, source: "set" };
}

/**
 * Refuses (ReplicasError) replicas above the cluster size the INFO gives, before a new run creates
 * anything. `what` names where the value came from, for the message.
 */
export function assertReplicasFit(nc: Pick<NatsConnection, "info">, choice: ReplicasChoice, what = "replicas"): void {
  const { replicas, clusterSize } = choice;
  if (clusterSize === undefined || replicas <= clusterSize) return;
  const server = nc.info?.server_name ?? "the server";
  const where = clusterSize === 1 ? "a single server, not a cluster" : `in a cluster of ${clusterSize} servers (as its INFO lists them)`;
  throw new ReplicasError(
    `${what} is ${replicas}, but ${server} is ${where}: JetStream keeps each copy on a different server, ` +
      `so ask for at most ${clusterSize} (or leave it unset for ${defaultReplicas(clusterSize)}), or start the missing servers first`,
  );
}

/** A one-line description of the choice, for a process's start-up log. */
export function describeReplicas(choice: ReplicasChoice): string {
  const size =
    choice.clusterSize === undefined
      ? "a cluster of unadvertised size"
      : choice.clusterSize === 1
        ? "a single server"
        : `a cluster of ${choice.clusterSize} servers`;
  return `${choice.replicas} replica(s) per stream and bucket (${choice.source === "set" ? "as set" : "the default"}, on ${size})`;
}

// 10005: no suitable peers for placement; 10074: replicas > 1 on an unclustered server.
const CANNOT_PLACE = new Set([10005, 10074]);

/** The server's refusal to place `replicas` copies as a ReplicasError; other errors unchanged. */
export function placementError(err: unknown, name: string, replicas: number): unknown {
  if (!(err instanceof JetStreamApiError && CANNOT_PLACE.has(err.code))) return err;
  return new ReplicasError(
    `NATS cannot keep ${replicas} copies of ${name} (server said: ${err.message}): ask for fewer replicas (cluster.replicas or --replicas), or add servers to the cluster`,
    { cause: err },
  );
}

/** Runs a create, turning a refusal to place its copies into a ReplicasError. */
export async function placing<T>(name: string, replicas: number, create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (err) {
    throw placementError(err, name, replicas);
  }
}

/**
 * Scales an existing stream (a KV bucket is the stream `KV_<bucket>`) up to `replicas` copies if it
 * has fewer; never down. Returns its replicas after.
 */
export async function raiseReplicas(jsm: JetStreamManager, stream: string, replicas: number, known?: StreamInfo): Promise<number> {
  const info = known ?? (await jsm.streams.info(stream));
  const has = Math.max(1, info.config.num_replicas);
  if (has >= replicas) return has;
  await placing(stream, replicas, () => jsm.streams.update(stream, { ...info.config, num_replicas: replicas }));
  return replicas;
}

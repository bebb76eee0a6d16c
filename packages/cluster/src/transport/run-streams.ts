/**
 * The JetStream resources of one run: the work-queue stream, the results log, the dead-letter stream,
 * and one durable pull consumer per worker role shared by all its replicas. Creating them is
 * idempotent. The coordinator creates the streams before it announces the run, and retires them once
 * the run is done; workers create only their role's consumer, never the streams.
 *
 * Each stream is kept in `replicas` copies (nats/replicas.ts; the consumers follow their stream),
 * so the run goes on when a minority of the cluster's servers is lost; a stream that exists with
 * fewer (a resumed run, after the cluster grew) is scaled up.
 */
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import type { WorkerRole } from "@maspo/core";
import type { NatsConnection } from "@nats-io/transport-node";
import { deleteStreamIfPresent, isStreamNotFound } from "../nats/missing-stream.js";
import { chooseReplicas, placing, raiseReplicas } from "../nats/replicas.js";
import { withJetStreamRetry } from "../nats/jetstream-retry.js";
import { deadLetterSubject, runStreamNames, workConsumerName, workSubject } from "../subjects.js";
import type { WorkQueueSettings } from "./work-queue.js";

/**
 * How often an idle pull consumer's server says it is alive. Two missed ones tell the client its
 * pull went to a dead server (a cluster losing a node holds a consumer's pending pulls there), and it
 * pulls again from the new leader (the results reader re-opens): 5 s finds it in about 10 s, where
 * the client's default (half the 30 s pull expiry) took 30 s. A heartbeat per consumer every 5 s is
 * all it costs.
 */
export const CONSUMER_IDLE_HEARTBEAT_MS = 5_000;

// 10058: "stream name already in use" (another process created it first); 10148 / 10013: consumer exists.
const ALREADY_EXISTS = new Set([10058, 10148, 10013]);

/** The settings with `replicas` decided for the cluster `nc` is on: as set (checked), or its default. */
export function withReplicas<S extends Pick<WorkQueueSettings, "replicas">>(settings: S, nc: NatsConnection): S & { replicas: number } {
  return { ...settings, replicas: chooseReplicas(nc, settings.replicas, "cluster.replicas").replicas };
}

export async function ensureRunStreams(
  jsm: JetStreamManager,
  runId: string,
  settings: Pick<WorkQueueSettings, "duplicateWindowMs"> & { replicas: number },
): Promise<void> {
  const names = runStreamNames(runId);
  const common = {
    storage: StorageType.File,
    duplicate_window: nanos(settings.duplicateWindowMs),
    num_replicas: settings.replicas,
  };
  await ensureStream(jsm, { name: names.work, subjects: [`maspo.${runId}.work.*`], retention: RetentionPolicy.Workqueue, ...common });
  await ensureStream(jsm, { name: names.results, subjects: [`maspo.${runId}.result.*`], retention: RetentionPolicy.Limits, ...common });
  await ensureStream(jsm, { name: names.dead, subjects: [deadLetterSubject(runId)], retention: RetentionPolicy.Limits, ...common });
}

export async function ensureWorkConsumer(
  jsm: JetStreamManager,
  runId: string,
  role: WorkerRole,
  settings: Pick<WorkQueueSettings, "ackWaitMs" | "maxDeliver" | "maxAckPending">,
): Promise<void> {
  const stream = runStreamNames(runId).work;
  const durable = workConsumerName(role);
  // Retried while the cluster elects a leader (a worker starting during an outage).
  await withJetStreamRetry(async () => {
    try {
      await jsm.consumers.add(stream, {
        durable_name: durable,
        filter_subject: workSubject(runId, role),
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(settings.ackWaitMs),
        max_deliver: settings.maxDeliver,
        max_ack_pending: settings.maxAckPending,
      });
    } catch (err) {
      // A replica with other settings created it first: the first one's settings rule, as they must be
      // shared by all replicas anyway.
      if (!(err instanceof JetStreamApiError && ALREADY_EXISTS.has(err.code))) throw err;
      await jsm.consumers.info(stream, durable);
    }
  });
}

/** What retireRunStreams did with the run's dead letters. */
export interface RetiredRunStreams {
  /** Refused messages the dead-letter stream holds; 0 when it was deleted with the others. */
  deadLetters: number;
}

/**
 * Removes a finished run's streams (its report is written): the work queue and the results log are
 * deleted, since a done run is never resumed and nothing reads them again. The dead-letter stream is
 * deleted too when it is empty; one that holds refused messages is kept, set to expire
 * `deadLetterRetentionMs` after each message came (max_age), so whoever looks into why they were
 * refused still can. Repeatable: what is gone already is skipped.
 */
export async function retireRunStreams(
  jsm: JetStreamManager,
  runId: string,
  options: { deadLetterRetentionMs: number },
): Promise<RetiredRunStreams> {
  const names = runStreamNames(runId);
  await deleteStreamIfPresent(jsm, names.work);
  await deleteStreamIfPresent(jsm, names.results);
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(names.dead);
  } catch (err) {
    if (isStreamNotFound(err)) return { deadLetters: 0 };
    throw err;
  }
  if (info.state.messages === 0) {
    await deleteStreamIfPresent(jsm, names.dead);
    return { deadLetters: 0 };
  }
  const maxAge = nanos(options.deadLetterRetentionMs);
  await jsm.streams.update(names.dead, {
    ...info.config,
    max_age: maxAge,
    duplicate_window: Math.min(info.config.duplicate_window, maxAge),
  });
  return { deadLetters: info.state.messages };
}

/** Creates the stream, or raises its copies if it is there; retried while the cluster elects a leader. */
function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string; num_replicas: number }): Promise<void> {
  return withJetStreamRetry(async () => {
    try {
      await placing(`stream ${config.name}`, config.num_replicas, () => jsm.streams.add(config));
    } catch (err) {
      if (!(err instanceof JetStreamApiError && ALREADY_EXISTS.has(err.code))) throw err;
      // There already, maybe with other settings (those rule) or fewer copies (raised).
      await raiseReplicas(jsm, config.name, config.num_replicas, await jsm.streams.info(config.name));
    }
  });
}

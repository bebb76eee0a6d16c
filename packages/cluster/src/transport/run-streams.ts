/**
 * The JetStream resources of one run: the work-queue stream, the results log, the dead-letter stream,
 * and one durable pull consumer per worker role shared by all its replicas. Creating them is
 * idempotent, so the coordinator and every worker can call it at start in any order.
 */
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import type { WorkerRole } from "@maspo/core";
import { deadLetterSubject, runStreamNames, workConsumerName, workSubject } from "../subjects.js";
import type { WorkQueueSettings } from "./work-queue.js";

// 10058: "stream name already in use" (another process created it first); 10148 / 10013: consumer exists.
const ALREADY_EXISTS = new Set([10058, 10148, 10013]);

export async function ensureRunStreams(
  jsm: JetStreamManager,
  runId: string,
  settings: Pick<WorkQueueSettings, "duplicateWindowMs">,
): Promise<void> {
  const names = runStreamNames(runId);
  const duplicateWindow = nanos(settings.duplicateWindowMs);
  await ensureStream(jsm, {
    name: names.work,
    subjects: [`maspo.${runId}.work.*`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: duplicateWindow,
  });
  await ensureStream(jsm, {
    name: names.results,
    subjects: [`maspo.${runId}.result.*`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    duplicate_window: duplicateWindow,
  });
  await ensureStream(jsm, {
    name: names.dead,
    subjects: [deadLetterSubject(runId)],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    duplicate_window: duplicateWindow,
  });
}

export async function ensureWorkConsumer(
  jsm: JetStreamManager,
  runId: string,
  role: WorkerRole,
  settings: Pick<WorkQueueSettings, "ackWaitMs" | "maxDeliver" | "maxAckPending">,
): Promise<void> {
  const stream = runStreamNames(runId).work;
  const durable = workConsumerName(role);
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
}

/** Deletes the run's streams (work, results, dead letters), e.g. after its report is written. */
export async function deleteRunStreams(jsm: JetStreamManager, runId: string): Promise<void> {
  for (const name of Object.values(runStreamNames(runId))) {
    try {
      await jsm.streams.delete(name);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === 10059)) throw err;
    }
  }
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.add(config);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && ALREADY_EXISTS.has(err.code))) throw err;
    await jsm.streams.info(config.name);
  }
}

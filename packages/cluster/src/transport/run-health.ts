/**
 * What a run's JetStream resources look like right now: whether its work and results streams exist,
 * and for each worker role its consumer's backlog (tasks waiting, delivered but not acked, pull
 * requests waiting: a worker attached). The coordinator's watchdog reads it when no result has
 * come for too long, to say what is missing rather than wait for ever.
 */
import { JetStreamApiError, type JetStreamManager } from "@nats-io/jetstream";
import type { WorkerRole } from "@maspo/core";
import { isStreamNotFound } from "../nats/missing-stream.js";
import { runStreamNames, workConsumerName } from "../subjects.js";

/** JetStream's "consumer not found". */
const CONSUMER_NOT_FOUND = 10014;

export type ConsumerHealth =
  | { present: false; name: string }
  | {
      present: true;
      name: string;
      /** Tasks not yet delivered to any worker. */
      pending: number;
      /** Delivered, not yet acked: in progress (or held by a worker that died, until the ack wait passes). */
      ackPending: number;
      /** Pull requests waiting at the server: workers attached and asking for tasks. */
      waiting: number;
    };

export interface RunHealth {
  /** Streams of the run (work, results) that do not exist. */
  missingStreams: string[];
  consumers: Partial<Record<WorkerRole, ConsumerHealth>>;
}

/** Reads the run's streams and the consumers of `roles`; NATS errors other than "not found" propagate. */
export async function readRunHealth(jsm: JetStreamManager, runId: string, roles: readonly WorkerRole[]): Promise<RunHealth> {
  const names = runStreamNames(runId);
  const missingStreams: string[] = [];
  for (const stream of [names.work, names.results]) {
    try {
      await jsm.streams.info(stream);
    } catch (err) {
      if (!isStreamNotFound(err)) throw err;
      missingStreams.push(stream);
    }
  }
  const consumers: RunHealth["consumers"] = {};
  if (missingStreams.includes(names.work)) return { missingStreams, consumers };
  for (const role of roles) {
    const name = workConsumerName(role);
    try {
      const info = await jsm.consumers.info(names.work, name);
      consumers[role] = { present: true, name, pending: info.num_pending, ackPending: info.num_ack_pending, waiting: info.num_waiting };
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === CONSUMER_NOT_FOUND)) throw err;
      consumers[role] = { present: false, name };
    }
  }
  return { missingStreams, consumers };
}

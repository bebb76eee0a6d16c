/**
 * Publishing to JetStream through server restarts and leader changes. Every maspo publish carries a
 * msgID, so retrying after a lost PubAck cannot duplicate a message.
 */
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import { ClosedConnectionError, DrainingConnectionError, type MsgHdrs } from "@nats-io/transport-node";
import { withJetStreamRetry } from "../nats/jetstream-retry.js";

export interface PublishRetry {
  /** Give up after this long; the last error is thrown. */
  deadlineMs: number;
}

export function publishWithRetry(
  js: JetStreamClient,
  subject: string,
  data: Uint8Array,
  options: { msgID: string; headers?: MsgHdrs },
  retry: PublishRetry = { deadlineMs: 30_000 },
): Promise<PubAck> {
  return withJetStreamRetry(() => js.publish(subject, data, options), {
    deadlineMs: retry.deadlineMs,
    // A closed connection will not come back; everything else (timeouts, no responders while
    // JetStream restarts, disconnects) may clear up.
    retryable: (err) => !(err instanceof ClosedConnectionError || err instanceof DrainingConnectionError),
  });
}

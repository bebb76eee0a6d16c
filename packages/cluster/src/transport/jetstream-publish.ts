/**
 * Publishing to JetStream through server restarts and leader changes. Every maspo publish carries a
 * msgID, so retrying after a lost PubAck cannot duplicate a message.
 */
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import { ClosedConnectionError, DrainingConnectionError, type MsgHdrs } from "@nats-io/transport-node";

export interface PublishRetry {
  /** Give up after this long; the last error is thrown. */
  deadlineMs: number;
}

export async function publishWithRetry(
  js: JetStreamClient,
  subject: string,
  data: Uint8Array,
  options: { msgID: string; headers?: MsgHdrs },
  retry: PublishRetry = { deadlineMs: 30_000 },
): Promise<PubAck> {
  let waited = 0;
  let delay = 100;
  for (;;) {
    try {
      return await js.publish(subject, data, options);
    } catch (err) {
      // A closed connection will not come back; everything else (timeouts, no responders while
      // JetStream restarts, disconnects) may clear up.
      if (err instanceof ClosedConnectionError || err instanceof DrainingConnectionError) throw err;
      if (waited >= retry.deadlineMs) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
      waited += delay;
      delay = Math.min(delay * 2, 2000);
    }
  }
}

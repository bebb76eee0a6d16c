/**
 * JetStream requests through a server's death, a leader election or a restart: retried with
 * backoff (100 ms doubling to 2 s) until they succeed or `deadlineMs` has passed, then the last
 * error is thrown. While a cluster elects a new meta or stream leader, the API times out, has no
 * responders or says JetStream is not enabled; such an error clears up by itself, others do not.
 */
import { JetStreamApiError } from "@nats-io/jetstream";
import { NoRespondersError, RequestError, TimeoutError } from "@nats-io/transport-node";

export interface JetStreamRetry {
  /** Give up after this long; the last error is thrown. */
  deadlineMs: number;
  /** Which errors may clear up; default isTransientJetStreamError. */
  retryable?: (err: unknown) => boolean;
}

// 10008: JetStream system temporarily unavailable; 10039: not enabled for the account (said while electing).
const TRANSIENT_API_CODES = new Set([10008, 10039]);

/** A JetStream API error a cluster gives while it elects a leader or a server restarts. */
export function isTransientJetStreamError(err: unknown): boolean {
  if (err instanceof TimeoutError || err instanceof NoRespondersError) return true;
  // The client's JetStreamNotEnabled (not exported by @nats-io/jetstream) is known by its name.
  if (err instanceof Error && err.name === "JetStreamNotEnabled") return true;
  if (err instanceof RequestError && (err.isNoResponders() || err.cause instanceof TimeoutError)) return true;
  return err instanceof JetStreamApiError && TRANSIENT_API_CODES.has(err.code);
}

export async function withJetStreamRetry<T>(op: () => Promise<T>, retry: JetStreamRetry = { deadlineMs: 30_000 }): Promise<T> {
  const retryable = retry.retryable ?? isTransientJetStreamError;
  let waited = 0;
  let delay = 100;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (!retryable(err) || waited >= retry.deadlineMs) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
      waited += delay;
      delay = Math.min(delay * 2, 2000);
    }
  }
}

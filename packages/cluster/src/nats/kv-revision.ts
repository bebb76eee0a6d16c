/**
 * Recognising the server's refusal of a KV write conditioned on a revision (compare-and-swap,
 * put-if-absent, delete-if-unchanged): the key moved on since the revision the writer held. Both
 * the checkpoint store and the response cache's claims treat it as "someone else won", not a fault.
 */
import { JetStreamApiError } from "@nats-io/jetstream";

// "Wrong last sequence" and its variant for a key the server has no sequence for.
const STALE_REVISION_CODES = new Set([10071, 10164]);

export function isStaleRevision(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return STALE_REVISION_CODES.has(err.code);
  // Older client paths report the API error as the cause of a generic one.
  return err instanceof Error && err.cause instanceof JetStreamApiError && STALE_REVISION_CODES.has(err.cause.code);
}

/**
 * Streams that are gone: a KV bucket or run stream that was never created or was removed (a done
 * run's, see run-streams.ts and kv-stores.ts). Reading one is "nothing there"; deleting one twice is
 * not an error, so every cleanup can be repeated.
 */
import { JetStreamApiError, type JetStreamManager } from "@nats-io/jetstream";

/** JetStream's "stream not found". */
const STREAM_NOT_FOUND = 10059;

export function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND;
}

/** Deletes a stream; true if it was there. */
export async function deleteStreamIfPresent(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    return await jsm.streams.delete(name);
  } catch (err) {
    if (isStreamNotFound(err)) return false;
    throw err;
  }
}

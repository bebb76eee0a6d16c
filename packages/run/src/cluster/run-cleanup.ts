/**
 * What a cluster run leaves on NATS once it is done, and what is removed. The coordinator runs this
 * after its report is written and the run is marked done in the registry (so pool workers have
 * stopped serving it), and again when `--resume` names a done run, to finish a cleanup a dead
 * coordinator left half done.
 *
 * Removed, not left to expire: the work queue and the results log (their only reader is this run's
 * coordinator, and a done run is never resumed), and the run's record bucket (spec and checkpoint,
 * whose content the report holds). A sweep of many runs on one cluster would otherwise pile up
 * streams and buckets that nothing reads; deleting them frees the server's storage at once, and
 * nothing is lost that the report does not keep.
 * Left to expire: the dead letters, when there are any (kept DEAD_LETTER_RETENTION_MS, for finding
 * out why messages were refused), and the run's "done" entry in the run registry (RUN_REGISTRY_TTL_MS),
 * which stands in for the removed record: a late `--exit-when-done` worker exits on it, and a resume
 * or a fresh start of the same run id is refused by it.
 */
import { type NatsSession, type RetiredRunStreams, deleteKvRecord, retireRunStreams } from "@maspo/cluster";

/** How long a done run's dead letters are kept: a week. */
export const DEAD_LETTER_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export async function cleanUpRun(jsm: NatsSession["jsm"], runId: string): Promise<RetiredRunStreams> {
  const retired = await retireRunStreams(jsm, runId, { deadLetterRetentionMs: DEAD_LETTER_RETENTION_MS });
  await deleteKvRecord(jsm, runId);
  return retired;
}

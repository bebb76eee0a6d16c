/**
 * The cluster's run registry: one JetStream KV bucket (RUN_REGISTRY_BUCKET) in which each coordinator
 * announces its run once the run's streams exist — key = run id, value = status and spec hash (the
 * spec itself stays in the run's record). Pool workers (`maspo worker <role>` without `--run`) watch
 * it to learn which runs to serve, and stop serving a run when its entry says "done" or is removed.
 *
 * The bucket's max_age is RUN_REGISTRY_TTL_MS. A running run's coordinator re-writes its entry every
 * RUN_REGISTRY_REFRESH_MS, well inside that age, so what ages out is the "done" entries —
 * the markers that let a late `--exit-when-done` worker exit and `--resume` refuse a finished run
 * after its streams and record are removed — and the entries of runs abandoned (coordinator gone,
 * never resumed) for that long; resuming such a run announces it again. nats-server 2.9 sends a
 * watcher nothing when an entry ages out, so a pool worker keeps serving an abandoned run (idle, its
 * streams are still there) until it restarts.
 */
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { RunIdSchema } from "@maspo/core";
import { z } from "zod";
import { decode, encode } from "../codec.js";
import { RUN_REGISTRY_BUCKET } from "../subjects.js";
import { isStaleRevision } from "./kv-revision.js";
import { createBucket, type BucketOptions } from "./kv-stores.js";
import { chooseReplicas } from "./replicas.js";
import { withJetStreamRetry } from "./jetstream-retry.js";

/** How long an entry lives after its last write: a day. */
export const RUN_REGISTRY_TTL_MS = 24 * 60 * 60 * 1000;

/** How often the coordinator of a running run re-writes its entry. */
export const RUN_REGISTRY_REFRESH_MS = 60 * 60 * 1000;

export const RunRegistryEntrySchema = z.object({
  v: z.literal(1),
  runId: RunIdSchema,
  status: z.enum(["running", "done"]),
  specHash: z.string(),
  /** When the coordinator wrote the entry (ISO 8601). */
  updatedAt: z.string(),
});
export type RunRegistryEntry = z.infer<typeof RunRegistryEntrySchema>;

/** A run's entry as the watch sees it change: undefined once it is removed. */
export interface RunRegistryChange {
  runId: string;
  entry: RunRegistryEntry | undefined;
}

export interface RunRegistryWatchOptions {
  /** Only this run's entry; default every run's. */
  runId?: string;
  /** Ends the watch. */
  signal: AbortSignal;
  /** Told about an unreadable entry (skipped) or a watch that broke (re-opened after a second). */
  onTrouble?: (context: string, error: unknown) => void;
}

/** How long a broken watch waits before it is opened again. */
const REWATCH_MS = 1000;

export class RunRegistry {
  private constructor(private readonly kv: KV) {}

  /**
   * Opens the registry, creating its bucket if this is the first maspo process on the cluster, with
   * `options.replicas` copies (raised to that if it has fewer).
   */
  static async open(nc: NatsConnection, options: BucketOptions = {}): Promise<RunRegistry> {
    const { replicas } = chooseReplicas(nc, options.replicas);
    return new RunRegistry(
      await createBucket(nc, RUN_REGISTRY_BUCKET, replicas, () =>
        new Kvm(nc).create(RUN_REGISTRY_BUCKET, { history: 1, ttl: RUN_REGISTRY_TTL_MS, replicas }),
      ),
    );
  }

  /** The run's entry and its revision; undefined when the run is not (or no longer) registered. */
  async get(runId: string): Promise<{ entry: RunRegistryEntry; revision: number } | undefined> {
    const key = RunIdSchema.parse(runId);
    // A read is safe to retry: a replicated bucket may not answer while it elects a leader.
    const stored = await withJetStreamRetry(() => this.kv.get(key));
    if (!stored || stored.operation !== "PUT") return undefined;
    return { entry: parseEntry(stored.value), revision: stored.revision };
  }

  /** Writes the run's entry whatever is there; returns its revision. */
  put(entry: RunRegistryEntry): Promise<number> {
    return this.kv.put(entry.runId, encode(RunRegistryEntrySchema.parse(entry)));
  }

  /** Writes the entry if it is still at `revision`; undefined if someone wrote it since (a coordinator that took the run over). */
  async update(entry: RunRegistryEntry, revision: number): Promise<number | undefined> {
    try {
      return await this.kv.update(entry.runId, encode(RunRegistryEntrySchema.parse(entry)), revision);
    } catch (err) {
      if (isStaleRevision(err)) return undefined;
      throw err;
    }
  }

  /**
   * Every entry's current state, then each change as it happens, until `signal` aborts. A watch that
   * breaks (NATS went away for good, the bucket was removed) is opened again and replays the current
   * state, so a consumer of it must treat a repeated change as a no-op.
   */
  async *watch(options: RunRegistryWatchOptions): AsyncGenerator<RunRegistryChange> {
    const { signal } = options;
    while (!signal.aborted) {
      let changes: Awaited<ReturnType<KV["watch"]>> | undefined;
      try {
        changes = await this.kv.watch({ key: options.runId === undefined ? ">" : RunIdSchema.parse(options.runId) });
      } catch (err) {
        options.onTrouble?.("open the run registry watch", err);
      }
      if (changes) {
        const watching = changes;
        const stop = (): void => watching.stop();
        signal.addEventListener("abort", stop, { once: true });
        try {
          for await (const change of watching) {
            if (change.operation !== "PUT") {
              yield { runId: change.key, entry: undefined };
              continue;
            }
            let entry: RunRegistryEntry;
            try {
              entry = parseEntry(change.value);
            } catch (err) {
              options.onTrouble?.(`read the run registry entry of ${change.key}`, err);
              continue;
            }
            yield { runId: change.key, entry };
          }
        } catch (err) {
          options.onTrouble?.("watch the run registry", err);
        } finally {
          signal.removeEventListener("abort", stop);
          watching.stop();
        }
      }
      if (!signal.aborted) await pause(REWATCH_MS, signal);
    }
  }
}

function parseEntry(bytes: Uint8Array): RunRegistryEntry {
  return decode(RunRegistryEntrySchema, bytes, "run registry entry");
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

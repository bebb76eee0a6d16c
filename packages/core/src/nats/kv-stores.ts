/**
 * State kept in JetStream KV in cluster mode: the coordinator's checkpoint (compare-and-swap on the
 * revision, so two coordinators of one run cannot both write) and the shared LLM response cache
 * (content-addressed, so any replica's call is every replica's cache hit). Values are msgpackr;
 * values over the server's max_payload are chunked (kv-chunks.ts).
 */
import { createHash } from "node:crypto";
import { JetStreamApiError } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import { CodecError, decode, encode, validate } from "../codec.js";
import { ResponseCacheError } from "../llm/llm-error.js";
import { cachedCompletionSchema, type CachedCompletion, type ResponseCache } from "../llm/response-cache.js";
import { MaspoError } from "../errors.js";
import { RESPONSE_CACHE_BUCKET, runBucketNames } from "../subjects.js";
import { chunkKeys, chunkSizeFor, KvValueError, readChunks, writeChunks } from "./kv-chunks.js";

// The server's "wrong last sequence": the key moved on since the revision we hold (or exists on create).
const STALE_REVISION_CODES = new Set([10071, 10164]);

export class CheckpointConflictError extends MaspoError {
  constructor(runId: string, expected: number | undefined) {
    super(
      "E_CHECKPOINT_CONFLICT",
      `another coordinator owns run "${runId}": its checkpoint changed since revision ${expected ?? "(none)"}; ` +
        `stop the other coordinator, then resume with --resume ${runId}`,
    );
  }
}

export interface StoredCheckpoint {
  value: unknown;
  revision: number;
}

export interface CheckpointStore {
  /** The last saved checkpoint, or undefined for a run never checkpointed. */
  load(): Promise<StoredCheckpoint | undefined>;
  /**
   * Saves if the stored revision is still `expectedRevision` (undefined: no checkpoint yet) and
   * returns the new revision; throws CheckpointConflictError otherwise.
   */
  save(value: unknown, expectedRevision: number | undefined): Promise<number>;
}

const CHECKPOINT_KEY = "checkpoint";

export async function openKvCheckpointStore(nc: NatsConnection, runId: string): Promise<CheckpointStore> {
  const kv = await new Kvm(nc).create(runBucketNames(runId).checkpoints, { history: 1 });
  const chunkSize = chunkSizeFor(nc.info?.max_payload ?? 1024 * 1024);
  return {
    async load() {
      const entry = await kv.get(CHECKPOINT_KEY);
      if (!entry || entry.operation !== "PUT") return undefined;
      const bytes = await readChunks(kv, CHECKPOINT_KEY, entry.value);
      return { value: decode(z.unknown(), bytes, "checkpoint"), revision: entry.revision };
    },
    async save(value, expectedRevision) {
      const previous = expectedRevision === undefined ? undefined : await kv.get(CHECKPOINT_KEY);
      const manifest = await writeChunks(kv, encode(value), chunkSize);
      let revision: number;
      try {
        revision =
          expectedRevision === undefined
            ? await kv.create(CHECKPOINT_KEY, manifest)
            : await kv.update(CHECKPOINT_KEY, manifest, expectedRevision);
      } catch (err) {
        if (isStaleRevision(err)) throw new CheckpointConflictError(runId, expectedRevision);
        throw err;
      }
      await deleteStaleChunks(kv, previous?.operation === "PUT" ? previous.value : undefined, manifest);
      return revision;
    },
  };
}

export interface KvResponseCacheOptions {
  /** Bucket name; the default is shared by all runs on the cluster. */
  bucket?: string;
  /** Told about each unreadable entry (e.g. to log it); the read is a miss and the next set overwrites it. */
  onCorrupt?: (key: string, reason: string) => void;
}

/** The LLM client's ResponseCache on JetStream KV, shared by every replica and every run. */
export class KvResponseCache implements ResponseCache {
  /** Entries found unreadable and treated as misses. */
  corruptEntries = 0;

  private constructor(
    private readonly kv: KV,
    private readonly chunkSize: number,
    private readonly onCorrupt: ((key: string, reason: string) => void) | undefined,
  ) {}

  static async open(nc: NatsConnection, options: KvResponseCacheOptions = {}): Promise<KvResponseCache> {
    const kv = await new Kvm(nc).create(options.bucket ?? RESPONSE_CACHE_BUCKET, { history: 1 });
    return new KvResponseCache(kv, chunkSizeFor(nc.info?.max_payload ?? 1024 * 1024), options.onCorrupt);
  }

  async get(key: string): Promise<CachedCompletion | undefined> {
    let value: CachedCompletion;
    try {
      const entry = await this.kv.get(kvKey(key));
      if (!entry || entry.operation !== "PUT") return undefined;
      value = decode(cachedCompletionSchema, await readChunks(this.kv, key, entry.value), `cached response "${key}"`);
    } catch (err) {
      if (err instanceof CodecError || err instanceof KvValueError) {
        this.corruptEntries++;
        this.onCorrupt?.(key, err instanceof CodecError ? err.reason : err.message);
        return undefined;
      }
      throw new ResponseCacheError(`cannot read LLM cache entry ${key} from JetStream KV: ${String(err)}; is NATS reachable?`, {
        cause: err,
      });
    }
    return value;
  }

  async set(key: string, value: CachedCompletion): Promise<void> {
    const bytes = encode(validate(cachedCompletionSchema, value, `LLM cache entry ${key}`));
    try {
      // Content-addressed: a concurrent writer stores the same value, so last-writer-wins is fine.
      await this.kv.put(kvKey(key), await writeChunks(this.kv, bytes, this.chunkSize));
    } catch (err) {
      throw new ResponseCacheError(`cannot write LLM cache entry ${key} to JetStream KV: ${String(err)}; is NATS reachable?`, {
        cause: err,
      });
    }
  }
}

/** Cache keys may hold any characters, KV keys may not: hashing keeps them valid and fixed-length. */
function kvKey(key: string): string {
  return `r.${createHash("sha256").update(key).digest("hex")}`;
}

async function deleteStaleChunks(kv: KV, previousManifest: Uint8Array | undefined, manifest: Uint8Array): Promise<void> {
  if (!previousManifest) return;
  const keep = new Set(chunkKeys(manifest, CHECKPOINT_KEY));
  for (const key of chunkKeys(previousManifest, CHECKPOINT_KEY)) {
    if (!keep.has(key)) await kv.purge(key);
  }
}

function isStaleRevision(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return STALE_REVISION_CODES.has(err.code);
  // Older client paths report the API error as the cause of a generic one.
  return err instanceof Error && err.cause instanceof JetStreamApiError && STALE_REVISION_CODES.has(err.cause.code);
}

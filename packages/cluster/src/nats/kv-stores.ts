/**
 * State kept in JetStream KV in cluster mode: the coordinator's checkpoint (compare-and-swap on the
 * revision, so two coordinators of one run cannot both write) and the shared LLM response cache
 * (content-addressed, so any replica's call is every replica's cache hit, and claimed through a KV
 * lease, so replicas asking the same thing at the same moment pay once). Values are msgpackr;
 * values over the server's max_payload are chunked (kv-chunks.ts).
 *
 * A run's record bucket is created by its first save, never by a read, and removed with the run once
 * it is done (deleteKvRecord), so reading a finished run's record leaves nothing behind. The response
 * cache bucket is bounded (RESPONSE_CACHE_DEFAULTS): entries expire after a TTL, and when the bucket
 * is full the oldest entries make room (discard "old"; JetStream KV's own default refuses writes).
 */
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { DiscardPolicy, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { millis, nanos, type NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import { CodecError, decode, encode, validate } from "../codec.js";
import { ResponseCacheError } from "@maspo/llm";
import { cachedCompletionSchema, MAX_CLAIM_TTL_MS, type CacheClaim, type CachedCompletion, type ResponseCache } from "@maspo/llm";
import { MaspoError } from "@maspo/core";
import { ensureServerCompat } from "./server-compat.js";
import { deleteStreamIfPresent, isStreamNotFound } from "./missing-stream.js";
import { RESPONSE_CACHE_BUCKET, runBucketNames } from "../subjects.js";
import { chunkKeys, chunkSizeFor, KvValueError, readChunks, writeChunks } from "./kv-chunks.js";
import { takeKvLease, type KvLeaseContext } from "./kv-lease.js";
import { chooseReplicas, placing, raiseReplicas } from "./replicas.js";
import { withJetStreamRetry } from "./jetstream-retry.js";
import { isStaleRevision } from "./kv-revision.js";

export class CheckpointConflictError extends MaspoError<"E_CHECKPOINT_CONFLICT"> {
  constructor(runId: string, expected: number | undefined) {
    super(
      "E_CHECKPOINT_CONFLICT",
      `another coordinator owns run "${runId}": its checkpoint changed since revision ${expected ?? "(none)"}; ` +
        `stop the other coordinator, then resume with --resume ${runId}`,
    );
  }
}

export interface StoredKvRecord {
  value: unknown;
  revision: number;
}

export interface KvRecord {
  /** The last saved checkpoint, or undefined for a run never checkpointed. */
  load(): Promise<StoredKvRecord | undefined>;
  /**
   * Saves if the stored revision is still `expectedRevision` (undefined: no checkpoint yet) and
   * returns the new revision; throws CheckpointConflictError otherwise.
   */
  save(value: unknown, expectedRevision: number | undefined): Promise<number>;
}

const CHECKPOINT_KEY = "checkpoint";

/** Where a bucket is created: its copies (nats/replicas.ts); absent, the default for the cluster. */
export interface BucketOptions {
  replicas?: number;
}

/**
 * The run's record; its bucket is created by the first save (a load of a run never saved finds
 * nothing), with `options.replicas` copies (raised to that if it exists with fewer).
 */
export async function openKvRecord(nc: NatsConnection, runId: string, options: BucketOptions = {}): Promise<KvRecord> {
  const bucket = runBucketNames(runId).checkpoints;
  const { replicas } = chooseReplicas(nc, options.replicas);
  const kvm = new Kvm(nc);
  const bound = await kvm.open(bucket);
  let created: KV | undefined;
  const chunkSize = chunkSizeFor(nc.info?.max_payload ?? 1024 * 1024);
  return {
    async load() {
      const kv = created ?? bound;
      let entry: Awaited<ReturnType<KV["get"]>>;
      try {
        // A read is safe to retry: a replicated bucket may not answer while it elects a leader.
        entry = await withJetStreamRetry(() => kv.get(CHECKPOINT_KEY));
      } catch (err) {
        if (isStreamNotFound(err)) return undefined;
        throw err;
      }
      if (!entry || entry.operation !== "PUT") return undefined;
      const bytes = await readChunks(kv, CHECKPOINT_KEY, entry.value);
      return { value: decode(z.unknown(), bytes, "checkpoint"), revision: entry.revision };
    },
    async save(value, expectedRevision) {
      created ??= await createBucket(nc, bucket, replicas, () => kvm.create(bucket, { history: 1, replicas }));
      const kv = created;
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

/** Removes a run's record bucket (spec and checkpoint), e.g. once its report is written; true if it was there. */
export function deleteKvRecord(jsm: JetStreamManager, runId: string): Promise<boolean> {
  return deleteStreamIfPresent(jsm, kvStreamName(runBucketNames(runId).checkpoints));
}

/** The stream behind a KV bucket. */
function kvStreamName(bucket: string): string {
  return `KV_${bucket}`;
}

/**
 * Opens or creates a bucket with `replicas` copies: `create` makes a missing bucket (a refusal to
 * place the copies is a ReplicasError) and opens an existing one as it is, which is then scaled
 * up to `replicas` if it has fewer. Retried while the cluster elects a leader (jetstream-retry.ts).
 */
export function createBucket(nc: NatsConnection, bucket: string, replicas: number, create: () => Promise<KV>): Promise<KV> {
  return withJetStreamRetry(async () => {
    const kv = await placing(`KV bucket ${bucket}`, replicas, create);
    const { jsm } = await ensureServerCompat(nc);
    await raiseReplicas(jsm, kvStreamName(bucket), replicas);
    return kv;
  });
}

/** How big and how old the shared response cache may grow. */
export interface ResponseCacheBounds {
  /** An entry expires this long after it was written (a call older than that is paid again). */
  ttlMs: number;
  /** The bucket's size cap; when full, the oldest entries are dropped to make room. */
  maxBytes: number;
}

/** The cache's bounds unless set: a week, 1 GiB. */
export const RESPONSE_CACHE_DEFAULTS: ResponseCacheBounds = { ttlMs: 7 * 24 * 60 * 60 * 1000, maxBytes: 1024 ** 3 };

/** A TTL below JetStream's duplicate window and a size below one max_payload message are refused. */
export const ResponseCacheBoundsSchema = z.object({
  ttlMs: z.int().min(2 * 60 * 1000),
  maxBytes: z.int().min(8 * 1024 * 1024),
});

export interface KvResponseCacheOptions {
  /** Bucket name; the default is shared by all runs on the cluster. */
  bucket?: string;
  /** Told about each unreadable entry (e.g. to log it); the read is a miss and the next set overwrites it. */
  onCorrupt?: (key: string, reason: string) => void;
  /**
   * Told when a claim this process owns cannot be renewed or released, or was taken over (e.g. to
   * log it). The request still succeeds; the claim expires by itself, at worst one call is paid twice.
   */
  onClaimTrouble?: (key: string, reason: string) => void;
  /** Named in this process's claims, for people inspecting the bucket. Default `<hostname>:<pid>`. */
  holder?: string;
  /** Wall clock for claim expiry. Default Date.now. */
  now?: () => number;
  /**
   * Bounds set by the operator: applied to the bucket even if it exists with others. Bounds not set
   * are RESPONSE_CACHE_DEFAULTS for a new bucket, or for one that has none (made by an older maspo);
   * a bucket's existing bounds are otherwise kept, so the first process's (or the last operator's) rule.
   */
  bounds?: Partial<ResponseCacheBounds>;
  /** Copies of the bucket (nats/replicas.ts); absent, the default for the cluster. Never lowered on an existing bucket. */
  replicas?: number;
}

const claimTtlSchema = z.int().positive().max(MAX_CLAIM_TTL_MS);

/** The LLM client's ResponseCache on JetStream KV, shared by every replica and every run. */
export class KvResponseCache implements ResponseCache {
  /** Entries found unreadable and treated as misses. */
  corruptEntries = 0;
  /** Owned claims that could not be renewed or released, or were taken over while their call ran. */
  claimTroubles = 0;
  private readonly holder: string;

  private constructor(
    private readonly kv: KV,
    private readonly chunkSize: number,
    private readonly options: KvResponseCacheOptions,
    /** The bucket's bounds in force after open(). */
    readonly bounds: ResponseCacheBounds,
  ) {
    this.holder = options.holder ?? `${hostname()}:${process.pid}`;
  }

  static async open(nc: NatsConnection, options: KvResponseCacheOptions = {}): Promise<KvResponseCache> {
    const bucket = options.bucket ?? RESPONSE_CACHE_BUCKET;
    const set = validate(ResponseCacheBoundsSchema.partial(), options.bounds ?? {}, "response cache bounds");
    const wanted = { ...RESPONSE_CACHE_DEFAULTS, ...set };
    const { replicas } = chooseReplicas(nc, options.replicas);
    const create = () =>
      createBucket(nc, bucket, replicas, () =>
        new Kvm(nc).create(bucket, { history: 1, ttl: wanted.ttlMs, max_bytes: wanted.maxBytes, replicas }),
      );
    // Two processes creating the bucket at once: the loser's create finds the winner's bucket on a second try.
    const kv = await create().catch(create);
    const { jsm } = await ensureServerCompat(nc);
    const bounds = await withJetStreamRetry(() => boundCacheBucket(jsm, kvStreamName(bucket), wanted, set));
    return new KvResponseCache(kv, chunkSizeFor(nc.info?.max_payload ?? 1024 * 1024), options, bounds);
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
        this.options.onCorrupt?.(key, err instanceof CodecError ? err.reason : err.message);
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

  /**
   * Claims the right to make the call for `key` across every process on this bucket: a lease on a
   * claim key beside the value, renewed while the owner works and taken over once it stops.
   */
  async claim(key: string, ttlMs: number): Promise<CacheClaim> {
    validate(claimTtlSchema, ttlMs, `claim on LLM cache entry ${key}: ttlMs`);
    const context: KvLeaseContext = {
      kv: this.kv,
      holder: this.holder,
      now: this.options.now ?? Date.now,
      onTrouble: (_lockKey, reason) => {
        this.claimTroubles++;
        this.options.onClaimTrouble?.(key, reason);
      },
    };
    const lease = await this.natsTrouble(`claim LLM cache entry ${key}`, () => takeKvLease(context, claimKey(key), ttlMs));
    if (lease.owner) return lease;
    return {
      owner: false,
      wait: async (signal) => {
        await this.natsTrouble(`wait for LLM cache entry ${key}`, () => lease.wait(signal), signal);
        // Released or expired alike: the owner stores the value before it releases, and an owner
        // that could not release may still have stored it. Undefined sends the caller back to the top.
        return this.get(key);
      },
    };
  }

  /** NATS trouble as a ResponseCacheError (retryable for the task); the caller's own abort passes through. */
  private async natsTrouble<T>(what: string, op: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (signal?.aborted && err === signal.reason) throw err;
      throw new ResponseCacheError(`cannot ${what} in JetStream KV: ${String(err)}; is NATS reachable?`, { cause: err });
    }
  }
}

/**
 * Puts the bounds on the cache's stream: those `set` always, the others only where the stream has
 * none; and discard "old", so a full cache drops its oldest entries instead of refusing writes.
 */
async function boundCacheBucket(
  jsm: JetStreamManager,
  stream: string,
  wanted: ResponseCacheBounds,
  set: Partial<ResponseCacheBounds>,
): Promise<ResponseCacheBounds> {
  const { config } = await jsm.streams.info(stream);
  const hasTtl = config.max_age > 0 ? millis(config.max_age) : undefined;
  const hasMax = config.max_bytes > 0 ? config.max_bytes : undefined;
  const bounds = { ttlMs: set.ttlMs ?? hasTtl ?? wanted.ttlMs, maxBytes: set.maxBytes ?? hasMax ?? wanted.maxBytes };
  if (bounds.ttlMs !== hasTtl || bounds.maxBytes !== hasMax || config.discard !== DiscardPolicy.Old) {
    const maxAge = nanos(bounds.ttlMs);
    await jsm.streams.update(stream, {
      ...config,
      max_age: maxAge,
      max_bytes: bounds.maxBytes,
      discard: DiscardPolicy.Old,
      // JetStream refuses a duplicate window longer than max_age.
      duplicate_window: Math.min(config.duplicate_window, maxAge),
    });
  }
  return bounds;
}

/** Cache keys may hold any characters, KV keys may not: hashing keeps them valid and fixed-length. */
function kvKey(key: string): string {
  return `r.${createHash("sha256").update(key).digest("hex")}`;
}

function claimKey(key: string): string {
  return `c.${createHash("sha256").update(key).digest("hex")}`;
}

async function deleteStaleChunks(kv: KV, previousManifest: Uint8Array | undefined, manifest: Uint8Array): Promise<void> {
  if (!previousManifest) return;
  const keep = new Set(chunkKeys(manifest, CHECKPOINT_KEY));
  for (const key of chunkKeys(previousManifest, CHECKPOINT_KEY)) {
    if (!keep.has(key)) await kv.purge(key);
  }
}

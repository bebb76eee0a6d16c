/**
 * A lease on one JetStream KV key: the cross-process lock behind the shared response cache's claims.
 *
 * Taken with put-if-absent. The owner renews it every third of its ttl, so it outlives a long call
 * (retries, Retry-After waits) but not its owner. Anyone else watches the key until it is deleted
 * (released) or its expiry passes without a renewal; a later taker replaces an expired lease by
 * compare-and-swap on the revision it read, so of two takers only one wins.
 *
 * Expiry is the owner's clock plus the ttl, read against the reader's clock. Clocks may disagree by
 * up to two thirds of the ttl before a live lease is wrongly taken over, and that costs one duplicate
 * call, never a wrong answer: the values behind these leases are content-addressed.
 */
import { KvWatchInclude, type KV } from "@nats-io/kv";
import { MaspoError } from "@maspo/core";
import { z } from "zod";
import { CodecError, decode, encode } from "../codec.js";
import { isStaleRevision } from "./kv-revision.js";

const leaseRecordSchema = z.object({
  /** Who holds it, for a person inspecting the bucket; no decision reads it. */
  holder: z.string(),
  /** Owner's clock, ms since the epoch. */
  expiresAt: z.number(),
  ttlMs: z.int().positive(),
});

export type LeaseRecord = z.infer<typeof leaseRecordSchema>;

export interface KvLeaseContext {
  kv: KV;
  /** Written into the lease for people, e.g. `host:pid`. */
  holder: string;
  now: () => number;
  /**
   * Told when an owned lease cannot be renewed or released, or was taken over while its owner still
   * worked. None of these fails the owner's work: the lease expires by itself, at worst one call is
   * paid twice.
   */
  onTrouble: (key: string, reason: string) => void;
}

export type KvLease =
  | { owner: true; release(): Promise<void> }
  | {
      owner: false;
      /** How the lease ended; rejects with `signal.reason` when the signal aborts first. */
      wait(signal: AbortSignal): Promise<"released" | "expired">;
    };

/** Takes the lease on `key` for `ttlMs`, or reports that a live lease is held by someone else. */
export async function takeKvLease(ctx: KvLeaseContext, key: string, ttlMs: number): Promise<KvLease> {
  for (;;) {
    const created = await unlessStale(() => ctx.kv.create(key, leaseBytes(ctx, ttlMs)));
    if (created !== undefined) return ownedLease(ctx, key, ttlMs, created);
    const entry = await ctx.kv.get(key);
    // Released between our create and this read: try to create it again.
    if (!entry || entry.operation !== "PUT") continue;
    const held = readLease(entry.value);
    if (held && msUntilExpiry(held, ctx.now()) > 0) return { owner: false, wait: (signal) => waitForEnd(ctx, key, held, signal) };
    // Expired (its owner stopped renewing) or unreadable: take it over, unless another taker got there first.
    const taken = await unlessStale(() => ctx.kv.update(key, leaseBytes(ctx, ttlMs), entry.revision));
    if (taken !== undefined) return ownedLease(ctx, key, ttlMs, taken);
  }
}

/** How long a lease seen now still lives; capped at its ttl so a clock far ahead cannot stall a waiter. */
export function msUntilExpiry(lease: LeaseRecord, now: number): number {
  return Math.min(Math.max(0, lease.expiresAt - now), lease.ttlMs);
}

/** Renewals come three times per ttl, so one lost renewal never lets a live lease expire. */
export function renewalIntervalMs(ttlMs: number): number {
  return Math.max(1, Math.floor(ttlMs / 3));
}

function ownedLease(ctx: KvLeaseContext, key: string, ttlMs: number, revision: number): KvLease {
  let current = revision;
  let lost = false;
  let released = false;
  let timer: NodeJS.Timeout | undefined;
  let renewing: Promise<void> = Promise.resolve();

  const renew = async (): Promise<void> => {
    try {
      current = await ctx.kv.update(key, leaseBytes(ctx, ttlMs), current);
    } catch (err) {
      if (isStaleRevision(err)) {
        lost = true;
        ctx.onTrouble(key, "taken over by another process: it saw the lease expire before this owner renewed it");
        return;
      }
      // Maybe a reconnect in progress: the next renewal tries again.
      ctx.onTrouble(key, `cannot renew the lease: ${messageOf(err)}`);
    }
  };
  // Each renewal is due an interval after the previous one *started*: a slow write (a loaded
  // server) must not push the next one back, or three slow renewals would outlast the ttl.
  const schedule = (delayMs: number): void => {
    timer = setTimeout(() => {
      const started = Date.now();
      renewing = renew().then(() => {
        if (!lost && !released) schedule(Math.max(0, renewalIntervalMs(ttlMs) - (Date.now() - started)));
      });
    }, delayMs);
    // A lease never keeps a process alive by itself; the owner's work does.
    timer.unref();
  };
  schedule(renewalIntervalMs(ttlMs));

  return {
    owner: true,
    async release() {
      released = true;
      clearTimeout(timer);
      await renewing;
      if (lost) return;
      try {
        // Only our own revision: a lease taken over meanwhile belongs to its new owner.
        await ctx.kv.delete(key, { previousSeq: current });
      } catch (err) {
        if (!isStaleRevision(err)) {
          ctx.onTrouble(key, `cannot release the lease (it expires by itself within ${ttlMs} ms): ${messageOf(err)}`);
        }
      }
    },
  };
}

async function waitForEnd(ctx: KvLeaseContext, key: string, held: LeaseRecord, signal: AbortSignal): Promise<"released" | "expired"> {
  signal.throwIfAborted();
  const watcher = await ctx.kv.watch({ key, include: KvWatchInclude.LastValue });
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (settle: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      watcher.stop();
      settle();
    };
    const onAbort = (): void => finish(() => reject(signal.reason));
    const expireAfter = (lease: LeaseRecord | undefined): void => {
      clearTimeout(timer);
      const ms = lease ? msUntilExpiry(lease, ctx.now()) : 0;
      timer = setTimeout(() => finish(() => resolve("expired")), ms);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    expireAfter(held);
    void (async () => {
      // The first entry is the key's current state; later ones are renewals, takeovers and the release.
      for await (const entry of watcher) {
        if (entry.operation !== "PUT") {
          finish(() => resolve("released"));
          return;
        }
        expireAfter(readLease(entry.value));
      }
      finish(() => reject(new MaspoError("E_KV_LEASE_WATCH", `the watch on lease ${key} ended before the lease did; is NATS reachable?`)));
    })().catch((err: unknown) => finish(() => reject(err)));
  });
}

/** The write's new revision, or undefined when the server refused it because the key moved on. */
async function unlessStale(write: () => Promise<number>): Promise<number | undefined> {
  try {
    return await write();
  } catch (err) {
    if (isStaleRevision(err)) return undefined;
    throw err;
  }
}

function leaseBytes(ctx: KvLeaseContext, ttlMs: number): Uint8Array {
  return encode({ holder: ctx.holder, expiresAt: ctx.now() + ttlMs, ttlMs } satisfies LeaseRecord);
}

/** An unreadable lease counts as expired, so garbage in the bucket cannot block a key. */
function readLease(bytes: Uint8Array): LeaseRecord | undefined {
  try {
    return decode(leaseRecordSchema, bytes, "KV lease");
  } catch (err) {
    if (err instanceof CodecError) return undefined;
    throw err;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

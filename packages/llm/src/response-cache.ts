/**
 * Where LLM responses are kept by content address, so that no request is paid for twice: in memory,
 * on disk (file-response-cache.ts) in embedded mode, or in JetStream KV in cluster mode — anything
 * that implements `ResponseCache`. A cache shared by several processes also offers claims, so that
 * identical requests made at the same moment in different processes are paid for once.
 */
import { z } from "zod";

export const cachedCompletionSchema = z.object({
  content: z.string(),
  finishReason: z.string(),
  usage: z.object({ promptTokens: z.int().nonnegative(), completionTokens: z.int().nonnegative() }),
});

/** What is stored per request: the answer and the usage it cost when it was first paid for. */
export type CachedCompletion = z.infer<typeof cachedCompletionSchema>;

/**
 * The answer to "may I make this call?" for a key that missed. The owner makes the call, `set()`s the
 * value and then releases; anyone else waits for the owner's value.
 */
export type CacheClaim =
  | {
      owner: true;
      /**
       * Ends the claim. Never rejects: a claim that cannot be released expires by itself after its
       * ttl, and the cache reports the failure through its own channel.
       */
      release(): Promise<void>;
    }
  | {
      owner: false;
      /**
       * Resolves with the value once the owner stored it, or undefined when the claim ended without
       * one (the owner failed, or died and its claim expired): the caller then starts over from the
       * lookup, so a dead claimant never blocks a request forever. Rejects with `signal.reason` when
       * the signal aborts first.
       */
      wait(signal: AbortSignal): Promise<CachedCompletion | undefined>;
    };

/** The longest claim ttl a cache accepts: owners renew their claims, so a long ttl only delays taking over a dead owner's. */
export const MAX_CLAIM_TTL_MS = 3_600_000;

export interface ResponseCache {
  /** The stored completion for a key, or undefined on a miss (including an unreadable entry). */
  get(key: string): Promise<CachedCompletion | undefined>;
  set(key: string, value: CachedCompletion): Promise<void>;
  /**
   * Offered by caches shared between processes (cross-process single-flight); in-process caches
   * leave it out, the client's own single-flight already covers them. A claim lives `ttlMs` (a whole
   * number of ms up to MAX_CLAIM_TTL_MS) past its owner's last sign of life, so an owner that dies
   * mid-call is taken over.
   */
  claim?(key: string, ttlMs: number): Promise<CacheClaim>;
  /**
   * True, once, for an entry just read that an earlier process paid for after the run's last
   * checkpoint (a resumed embedded run: its spend died with that process, its answers did not), so
   * the client counts it as the call it was. Caches that cannot tell leave it out.
   */
  takeUnpaid?(key: string): boolean;
}

export class MemoryResponseCache implements ResponseCache {
  private readonly entries = new Map<string, CachedCompletion>();

  get(key: string): Promise<CachedCompletion | undefined> {
    const hit = this.entries.get(key);
    // Copies both ways, so a caller mutating a result cannot change what later callers get.
    return Promise.resolve(hit && structuredClone(hit));
  }

  set(key: string, value: CachedCompletion): Promise<void> {
    this.entries.set(key, structuredClone(value));
    return Promise.resolve();
  }

  get size(): number {
    return this.entries.size;
  }
}

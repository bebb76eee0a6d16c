/**
 * Where LLM responses are kept by content address, so that no request is paid for twice: in memory,
 * on disk (file-response-cache.ts) in embedded mode, or in JetStream KV in cluster mode — anything
 * that implements `ResponseCache`.
 */
import { z } from "zod";

export const cachedCompletionSchema = z.object({
  content: z.string(),
  finishReason: z.string(),
  usage: z.object({ promptTokens: z.int().nonnegative(), completionTokens: z.int().nonnegative() }),
});

/** What is stored per request: the answer and the usage it cost when it was first paid for. */
export type CachedCompletion = z.infer<typeof cachedCompletionSchema>;

export interface ResponseCache {
  /** The stored completion for a key, or undefined on a miss (including an unreadable entry). */
  get(key: string): Promise<CachedCompletion | undefined>;
  set(key: string, value: CachedCompletion): Promise<void>;
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

/**
 * How long to wait before the next attempt. A server's Retry-After is obeyed as given; otherwise
 * exponential backoff with "equal jitter" (half fixed, half random), the random half drawn from an Rng
 * seeded by the request's cache key and attempt number — so replicas hammering one endpoint spread
 * out, yet a rerun waits exactly as long as the first run did.
 */
import { Rng } from "@maspo/core";
import type { AttemptFailure } from "./attempt-failure.js";

export interface BackoffPolicy {
  /** Wait after the first failed attempt, before jitter. */
  baseMs: number;
  /** Upper bound of the exponential wait, before jitter. */
  maxMs: number;
  /**
   * The longest server-requested wait worth sitting out; a longer Retry-After ends the call at once
   * (rate limits measured in hours are quota exhaustion, not congestion). Default 120 s.
   */
  maxRetryAfterMs?: number;
}

const DEFAULT_MAX_RETRY_AFTER_MS = 120_000;

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000, maxRetryAfterMs: DEFAULT_MAX_RETRY_AFTER_MS };

export function maxRetryAfterMs(policy: BackoffPolicy): number {
  return policy.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
}

/** Whether the server asked for a longer wait than the policy will sit out. */
export function retryAfterTooLong(failure: AttemptFailure, policy: BackoffPolicy): boolean {
  return failure.retryAfterMs !== undefined && failure.retryAfterMs > maxRetryAfterMs(policy);
}

/** The wait after failed attempt number `attempt` (1-based) of the request with `cacheKey`. */
export function retryDelayMs(failure: AttemptFailure, attempt: number, policy: BackoffPolicy, cacheKey: string): number {
  if (failure.retryAfterMs !== undefined) return failure.retryAfterMs;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  const jitter = Rng.derive(cacheKey, "retry", attempt).next();
  return Math.round(ceiling / 2 + (jitter * ceiling) / 2);
}

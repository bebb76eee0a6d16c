/**
 * What the LLM client reports as it works, for metrics and progress displays. Events carry ids,
 * counts and timings only — never message text or credentials.
 */
import type { LlmRole } from "@maspo/core";
import type { FailureKind } from "./attempt-failure.js";
import type { LlmErrorCode } from "./llm-error.js";

interface LlmEventBase {
  endpointId: string;
  model: string;
  role: LlmRole;
  cacheKey: string;
}

export type LlmEvent =
  /** An HTTP attempt got its concurrency slot and is being sent. */
  | (LlmEventBase & { type: "call-started"; attempt: number })
  /** An HTTP attempt returned a completion. */
  | (LlmEventBase & {
      type: "call-finished";
      attempt: number;
      promptTokens: number;
      completionTokens: number;
      costUsd: number;
      finishReason: string;
    })
  /**
   * An HTTP attempt ended, however (one per call-started): how long it held its slot, and how it
   * went — "ok", the failure kind, or "aborted" (its caller left). For latency and in-flight gauges.
   */
  | (LlmEventBase & { type: "attempt-ended"; attempt: number; durationMs: number; outcome: AttemptOutcomeLabel })
  /** An attempt failed and another follows after `delayMs`. */
  | (LlmEventBase & {
      type: "call-retried";
      attempt: number;
      reason: FailureKind;
      status?: number | undefined;
      delayMs: number;
      /** Whether the delay is the server's Retry-After rather than our backoff. */
      serverRequested: boolean;
    })
  /** A `complete()` call failed for good. */
  | (LlmEventBase & { type: "call-failed"; attempts: number; code: LlmErrorCode | "E_LLM_CACHE" | "unexpected" })
  /** A `complete()` call was answered without a new HTTP call: from the cache, or by an identical call in flight. */
  | (LlmEventBase & { type: "cache-hit"; source: "cache" | "in-flight" });

/** How one HTTP attempt ended: a completion, a failure of some kind, or the caller leaving. */
export type AttemptOutcomeLabel = "ok" | FailureKind | "aborted";

export type LlmEventListener = (event: LlmEvent) => void;

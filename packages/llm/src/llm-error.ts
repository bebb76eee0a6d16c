/**
 * Errors of the LLM client. The `code` tells a worker what to do with the task: `retryable` failures
 * (rate limits, outages, timeouts) are worth a later redelivery, the others (bad config, a 4xx the
 * server will repeat) are not.
 */
import { MaspoError } from "@maspo/core";

export type LlmErrorCode =
  /** Endpoint setup is unusable: missing API key variable, simlm endpoint without an in-process fetch. */
  | "E_LLM_CONFIG"
  /** The last attempt was answered 429 and no attempts (or deadline) were left to wait it out. */
  | "E_LLM_RATE_LIMITED"
  /** The last attempt exceeded the endpoint's per-attempt timeout and no attempts were left. */
  | "E_LLM_TIMEOUT"
  /** Retries ran out on server errors, connection failures or unparseable responses. */
  | "E_LLM_EXHAUSTED"
  /** The server refused the request with a status that retrying will not change (400, 401, 404...). */
  | "E_LLM_HTTP"
  /** The call's overall deadline passed (waiting for a slot, an attempt, or a backoff). */
  | "E_LLM_DEADLINE"
  /** The caller aborted the call through its signal. */
  | "E_LLM_ABORTED"
  /** The SDK failed in a way none of the above explains; a bug rather than weather. */
  | "E_LLM_UNEXPECTED";

export interface LlmErrorDetails {
  endpointId: string;
  model: string;
  /** HTTP attempts made before giving up (0 when the call never reached the network). */
  attempts: number;
  /** HTTP status of the last attempt, when it got one. */
  status?: number | undefined;
  /** Whether trying the same call again later may succeed. */
  retryable: boolean;
}

export class LlmError extends MaspoError {
  override readonly code: LlmErrorCode;
  readonly details: LlmErrorDetails;

  constructor(code: LlmErrorCode, message: string, details: LlmErrorDetails, options?: { cause?: unknown }) {
    super(code, message, options);
    this.code = code;
    this.details = details;
  }
}

/** The response cache could not be read or written for a reason other than a corrupt entry (e.g. permissions). */
export class ResponseCacheError extends MaspoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_LLM_CACHE", message, options);
  }
}

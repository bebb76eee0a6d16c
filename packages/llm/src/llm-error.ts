/**
 * Errors of the LLM client. The `code` tells a worker what to do with the task: `retryable` failures
 * (rate limits, outages, timeouts) are worth a later redelivery, the others (bad config, a 4xx the
 * server will repeat) are not.
 */
import { MaspoError } from "@maspo/core";

/** The codes of a failed call; each is documented in the catalogue (ERROR_CODES of @maspo/core). */
export type LlmErrorCode =
  | "E_LLM_CONFIG"
  | "E_LLM_RATE_LIMITED"
  | "E_LLM_TIMEOUT"
  | "E_LLM_EXHAUSTED"
  | "E_LLM_HTTP"
  | "E_LLM_DEADLINE"
  | "E_LLM_ABORTED"
  | "E_LLM_UNEXPECTED"
  | "E_LLM_BUDGET"
  | "E_LLM_ROUND_CAP";

/** Every code of LlmErrorCode, e.g. to start a counter per code at 0. */
export const LLM_ERROR_CODES = [
  "E_LLM_CONFIG",
  "E_LLM_RATE_LIMITED",
  "E_LLM_TIMEOUT",
  "E_LLM_EXHAUSTED",
  "E_LLM_HTTP",
  "E_LLM_DEADLINE",
  "E_LLM_ABORTED",
  "E_LLM_UNEXPECTED",
  "E_LLM_BUDGET",
  "E_LLM_ROUND_CAP",
] as const satisfies readonly LlmErrorCode[];
// Fails to compile when a code is added to LlmErrorCode and not here.
const _everyCode: Record<Exclude<LlmErrorCode, (typeof LLM_ERROR_CODES)[number]>, never> = {};
void _everyCode;

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

export class LlmError extends MaspoError<LlmErrorCode> {
  readonly details: LlmErrorDetails;

  constructor(code: LlmErrorCode, message: string, details: LlmErrorDetails, options?: { cause?: unknown }) {
    super(code, message, options);
    this.details = details;
  }
}

/** The response cache could not be read or written for a reason other than a corrupt entry (e.g. permissions). */
export class ResponseCacheError extends MaspoError<"E_LLM_CACHE"> {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_LLM_CACHE", message, options);
  }
}

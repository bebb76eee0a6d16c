/**
 * @maspo/llm: the LLM client every maspo process calls endpoints through.
 *
 * @example
 * ```ts
 * import { LlmClient, MemoryResponseCache } from "@maspo/llm";
 * const llm = new LlmClient({ endpoints, env: process.env, cache: new MemoryResponseCache() });
 * const { content } = await llm.complete({ endpointId: "gpt", role: "serving", messages, seed: 1 });
 * ```
 */
export { LlmClient, type LlmClientOptions } from "./llm-client.js";
export { LLM_ERROR_CODES, LlmError, ResponseCacheError, type LlmErrorCode, type LlmErrorDetails } from "./llm-error.js";
export {
  SIMLM_SDK_BASE_URL,
  isSimlmEndpoint,
  llmEndpointSchema,
  parseLlmEndpoints,
  type FetchFor,
  type LlmEndpoint,
} from "./llm-endpoint.js";
export { apiSeed, completionCacheKey, type EndpointIdentity, type LlmCompletion, type LlmCompletionRequest } from "./completion-request.js";
export {
  MAX_CLAIM_TTL_MS,
  MemoryResponseCache,
  cachedCompletionSchema,
  type CacheClaim,
  type CachedCompletion,
  type ResponseCache,
} from "./response-cache.js";
export { FileResponseCache, preciseNow, type FileResponseCacheOptions } from "./file-response-cache.js";
export {
  EXCHANGE_LOG_VERSION,
  ExchangeRecorder,
  ExchangeReplayer,
  RecordingError,
  exchangeKey,
  exchangeLogLineSchema,
  withoutCredentials,
  type ExchangeCounts,
  type ExchangeLogLine,
  type ReplayMiss,
} from "./exchange-recording.js";
export { LlmAccounting, callCostUsd } from "./llm-accounting.js";
export {
  MemoryRateLimiter,
  RATE_WINDOW,
  RateWindowSchema,
  admit,
  correctTokens,
  estimateTokens,
  processRateLimiter,
  rateLimitKey,
  type Admission,
  type MemoryRateLimiterOptions,
  type RateGrant,
  type RateLimiter,
  type RateLimits,
  type RateWindow,
} from "./rate-limit.js";
export {
  ALL_ENDPOINTS_SLOT_KEY,
  SharedConcurrency,
  endpointSlotKey,
  processConcurrency,
  type ConcurrencySlot,
} from "./shared-concurrency.js";
export {
  BudgetSpentError,
  DEFAULT_RESERVED_OUTPUT_TOKENS,
  LedgerStateSchema,
  MemorySpendLedger,
  RESERVATION_GRACE_MS,
  RESERVATION_POLL_MS,
  emptyLedger,
  hasBudget,
  settleIn,
  spentTokens,
  spentUsd,
  tryReserve,
  withCacheHits,
  worstCaseCost,
  type AttemptSettlement,
  type LedgerBudget,
  type LedgerState,
  type LedgerWho,
  type MemorySpendLedgerOptions,
  type ReserveStep,
  type SpendCharge,
  type SpendLedger,
  type SpendReservation,
} from "./spend-ledger.js";
export type { AttemptOutcomeLabel, LlmEvent, LlmEventListener } from "./llm-events.js";
export { FAILURE_KINDS, type FailureKind } from "./attempt-failure.js";
export { DEFAULT_BACKOFF, type BackoffPolicy } from "./retry-policy.js";
export { probeTask } from "./probe-task.js";
export { abortableSleep } from "./abortable-sleep.js";
export { PROBE_PROMPT } from "./endpoint-probe.js";

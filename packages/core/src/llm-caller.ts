/**
 * The one method the executor, evaluator and mutator need from an LLM: complete a chat. The LLM
 * client (llm/) implements it with retries, limits, cache and accounting; tests may pass anything
 * that honours it.
 */
import type { ChatMessage } from "./agent-messages.js";
import type { EndpointProbe } from "./protocol/endpoint-probe.js";

export type LlmRole = "serving" | "evaluator" | "optimizer";

export interface LlmCallRequest {
  /** Model endpoint id from the spec's `models`. */
  endpointId: string;
  role: LlmRole;
  messages: readonly ChatMessage[];
  temperature: number;
  seed: number;
  /** Distinct samples of the same request use distinct sample indexes (and cache keys). */
  sampleIndex?: number;
  maxTokens?: number;
  /** Ask for a JSON object (response_format json_object). */
  json?: boolean;
  signal?: AbortSignal;
}

export interface LlmCallResult {
  content: string;
  finishReason: string;
  usage: { promptTokens: number; completionTokens: number };
  cached: boolean;
  /** Attempts that failed, each retried, before this answer came (0 or absent: the first one did). */
  failedAttempts?: number;
}

export interface LlmCaller {
  complete(request: LlmCallRequest): Promise<LlmCallResult>;
  /** One uncached call to an endpoint, to learn whether it can serve at all (preflight); callers without endpoints omit it. */
  probe?(endpointId: string): Promise<EndpointProbe>;
}

/**
 * The one method the executor, evaluator and mutator need from an LLM: complete a chat. The LLM
 * client (llm/) implements it with retries, limits, cache and accounting; tests may pass anything
 * that honours it.
 */
import type { ChatMessage } from "./agent-messages.js";

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
}

export interface LlmCaller {
  complete(request: LlmCallRequest): Promise<LlmCallResult>;
}

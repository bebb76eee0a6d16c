/**
 * A reply as data: status, headers and the body parts with the delay before each. Every decision
 * about what to answer (and when) is made here, purely; the HTTP server and the in-process fetch only
 * play a plan, so the two cannot answer differently.
 */
import type { ChatResponseRequest, ChatResponseResult } from "./chat-completion-response.js";
import { buildChatCompletion, buildChatCompletionStream } from "./chat-completion-response.js";
import type { OpenAIErrorReply } from "./openai-error.js";
import { rateLimitError, serverError } from "./openai-error.js";
import type { FaultKind, ServiceRealism } from "./service-realism.js";
import { malformBody, replyLatencyMs, retryAfterHeaders } from "./service-realism.js";

export interface ReplyPart {
  /** Wait this long before writing the part. */
  delayMs: number;
  data: string;
}

export type ReplyPlan =
  | {
      kind: "send";
      status: number;
      headers: Record<string, string>;
      /** Wait this long before sending the status line and headers (time to first byte). */
      headDelayMs: number;
      parts: ReplyPart[];
    }
  /** Never answer: the request is held until the client (or the server's close) gives up on it. */
  | { kind: "hold" };

const JSON_TYPE = "application/json";

export function jsonReply(status: number, body: unknown, extraHeaders: Record<string, string> = {}, headDelayMs = 0): ReplyPlan {
  return bodyReply(status, JSON.stringify(body), extraHeaders, headDelayMs);
}

function bodyReply(status: number, text: string, extraHeaders: Record<string, string>, headDelayMs: number): ReplyPlan {
  return {
    kind: "send",
    status,
    headers: { "content-type": JSON_TYPE, "content-length": String(Buffer.byteLength(text)), ...extraHeaders },
    headDelayMs,
    parts: [{ delayMs: 0, data: text }],
  };
}

export function errorReply(error: OpenAIErrorReply): ReplyPlan {
  return jsonReply(error.status, error.body, error.headers ?? {});
}

/** 429 for a request beyond the concurrency cap. */
export function overloadReply(realism: ServiceRealism, maxConcurrency: number): ReplyPlan {
  return errorReply(
    rateLimitError(
      `simlm is at its concurrency cap of ${maxConcurrency} requests in flight; retry after ${realism.retryAfterMs} ms.`,
      retryAfterHeaders(realism),
    ),
  );
}

export interface ChatReplyInput {
  request: ChatResponseRequest;
  /** Called only when the reply carries a completion (not for 429/500/timeout faults). */
  simulate: () => ChatResponseResult;
  digest: string;
  attempt: number;
  fault: FaultKind | null;
  realism: ServiceRealism;
}

/** The reply to a valid chat-completion request, with the realism's latency and the drawn fault. */
export function planChatReply(input: ChatReplyInput): ReplyPlan {
  const { request, digest, attempt, fault, realism } = input;
  if (fault === "timeout") return { kind: "hold" };
  if (fault === "429") {
    return errorReply(rateLimitError("simlm injected a rate-limit fault (service realism).", retryAfterHeaders(realism)));
  }
  if (fault === "500") return errorReply(serverError("simlm injected a server fault (service realism)."));

  const result = input.simulate();
  if (request.stream === true) {
    const events = buildChatCompletionStream(request, result, digest);
    const perToken = realism.latency.perOutputTokenMs;
    let parts = events.map((e) => ({ delayMs: perToken * e.tokens, data: e.data }));
    if (fault === "malformed") parts = truncateParts(parts, malformBody(parts.map((p) => p.data).join(""), realism, digest, attempt));
    return {
      kind: "send",
      status: 200,
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
      headDelayMs: realism.latency.fixedMs,
      parts,
    };
  }
  const text = JSON.stringify(buildChatCompletion(request, result, digest));
  const latency = replyLatencyMs(realism, result.usage.completion_tokens);
  return bodyReply(200, fault === "malformed" ? malformBody(text, realism, digest, attempt) : text, {}, latency);
}

/** The stream's parts cut to a malformed body: a prefix of the stream, or a replacement text. */
function truncateParts(parts: ReplyPart[], broken: string): ReplyPart[] {
  const whole = parts.map((p) => p.data).join("");
  if (!whole.startsWith(broken)) return [{ delayMs: 0, data: broken }];
  const out: ReplyPart[] = [];
  let left = broken.length;
  for (const p of parts) {
    if (left <= 0) break;
    out.push({ delayMs: p.delayMs, data: p.data.slice(0, left) });
    left -= p.data.length;
  }
  return out;
}

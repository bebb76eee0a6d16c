/**
 * OpenAI chat-completion response bodies (whole and as an SSE chunk stream) built from a simulated
 * result. Everything in them, `id` and `created` included, derives from the request digest, so the
 * same request gives byte-identical bytes over HTTP, in process, and from any process.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "@maspo/core";

/** What the response needs from a (validated) request. */
export interface ChatResponseRequest {
  model: string;
  stream?: boolean | null | undefined;
  stream_options?: { include_usage?: boolean | null | undefined } | null | undefined;
}

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What the response needs from a simulated result (simlm's `SimChatResult`). */
export interface ChatResponseResult {
  choices: ReadonlyArray<{ index: number; content: string; finishReason: "stop" | "length" }>;
  usage: ChatUsage;
}

/** Hex sha256 of (world, canonical request body): the identity of a request for ids and fault draws. */
export function requestDigest(worldName: string, body: unknown): string {
  return createHash("sha256").update(worldName).update("\u0000").update(canonicalJson(body)).digest("hex");
}

export function completionId(digest: string): string {
  return `chatcmpl-${digest.slice(0, 29)}`;
}

/** A fixed Unix time derived from the digest (within a year from 2023-11-14), never the clock. */
export function completionCreated(digest: string): number {
  return 1_700_000_000 + (Number.parseInt(digest.slice(0, 8), 16) % 31_536_000);
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: "assistant"; content: string; refusal: null };
    logprobs: null;
    finish_reason: "stop" | "length";
  }>;
  usage: ChatUsage;
}

export function buildChatCompletion(request: ChatResponseRequest, result: ChatResponseResult, digest: string): ChatCompletion {
  return {
    id: completionId(digest),
    object: "chat.completion",
    created: completionCreated(digest),
    model: request.model,
    choices: result.choices.map((c) => ({
      index: c.index,
      message: { role: "assistant", content: c.content, refusal: null },
      logprobs: null,
      finish_reason: c.finishReason,
    })),
    usage: { ...result.usage },
  };
}

/** Split text into word-sized deltas whose concatenation is exactly the text. */
export function contentDeltas(content: string): string[] {
  return content.match(/^\s+|\S+\s*/g) ?? [];
}

/** One SSE event of a streamed completion: the data it carries and the output tokens it represents. */
export interface StreamEvent {
  data: string;
  /** Share of the completion tokens this event delivers (for per-token latency). */
  tokens: number;
}

/**
 * The SSE events of a streamed completion, `data: [DONE]` last: per choice a role delta, word deltas
 * and a finish delta; then, when `stream_options.include_usage`, a usage chunk with no choices (and
 * `usage: null` on every other chunk, as OpenAI sends it).
 */
export function buildChatCompletionStream(request: ChatResponseRequest, result: ChatResponseResult, digest: string): StreamEvent[] {
  const base = { id: completionId(digest), object: "chat.completion.chunk", created: completionCreated(digest), model: request.model };
  const includeUsage = request.stream_options?.include_usage === true;
  const chunk = (choices: unknown[], usage?: ChatUsage): string =>
    `data: ${JSON.stringify({ ...base, choices, ...(includeUsage ? { usage: usage ?? null } : {}) })}\n\n`;
  const choice = (index: number, delta: Record<string, unknown>, finish: string | null) => ({
    index,
    delta,
    logprobs: null,
    finish_reason: finish,
  });

  const deltasPerChoice = result.choices.map((c) => contentDeltas(c.content));
  const totalDeltas = deltasPerChoice.reduce((n, d) => n + d.length, 0);
  const tokensPerDelta = totalDeltas === 0 ? 0 : result.usage.completion_tokens / totalDeltas;

  const events: StreamEvent[] = [];
  result.choices.forEach((c, i) => {
    events.push({ data: chunk([choice(c.index, { role: "assistant", content: "", refusal: null }, null)]), tokens: 0 });
    for (const piece of deltasPerChoice[i] ?? []) {
      events.push({ data: chunk([choice(c.index, { content: piece }, null)]), tokens: tokensPerDelta });
    }
    events.push({ data: chunk([choice(c.index, {}, c.finishReason)]), tokens: 0 });
  });
  if (includeUsage) events.push({ data: chunk([], result.usage), tokens: 0 });
  events.push({ data: "data: [DONE]\n\n", tokens: 0 });
  return events;
}

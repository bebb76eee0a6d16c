/**
 * One chat completion request as callers state it, its validation, and what is sent for it: the
 * SDK request body and the content address under which its response is cached.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { ValidationError } from "@maspo/core";
import type { LlmCallRequest, LlmCallResult } from "@maspo/core";
import { deriveSeed } from "@maspo/core";
import { canonicalJson } from "@maspo/core";
import { issuesFromZod } from "@maspo/core";

export interface LlmCompletionRequest extends LlmCallRequest {
  /** Nucleus sampling; omitted from the request (server default) when unset. */
  topP?: number;
  /** Overall deadline for this call in ms, from the moment `complete` is called; overrides the client default. */
  deadlineMs?: number;
}

export interface LlmCompletion extends LlmCallResult {
  /** The content address of this request; equal keys mean the same request. */
  cacheKey: string;
}

const requestSchema = z.object({
  endpointId: z.string().min(1),
  role: z.enum(["serving", "evaluator", "optimizer"]),
  messages: z.array(z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() })).min(1),
  temperature: z.number().min(0).max(2),
  seed: z.int(),
  sampleIndex: z.int().nonnegative().optional(),
  maxTokens: z.int().positive().optional(),
  json: z.boolean().optional(),
  topP: z.number().gt(0).max(1).optional(),
  deadlineMs: z.int().positive().optional(),
});

/** Check a request's fields (everything but the signal), reporting all problems at once. */
export function validateCompletionRequest(request: LlmCompletionRequest): void {
  const { signal: _signal, ...data } = request;
  const parsed = requestSchema.safeParse(data);
  if (!parsed.success) throw new ValidationError("LLM request", issuesFromZod(parsed.error, data));
}

/**
 * The `seed` sent to the API for sample `sampleIndex` of a request. Sample 0 sends the caller's seed
 * unchanged (so single-sample calls are what they look like); sample i > 0 sends
 * deriveSeed(seed, "sample", i), so the n samples of one request are distinct, reproducible requests
 * rather than one `n > 1` call whose choices a cache could not address one by one.
 */
export function apiSeed(seed: number, sampleIndex: number): number {
  return sampleIndex === 0 ? seed : deriveSeed(seed, "sample", sampleIndex);
}

/** The body sent to `chat.completions.create` for a request on a model. One choice per call. */
export interface ChatCompletionBody {
  model: string;
  messages: { role: "system" | "user" | "assistant"; content: string }[];
  temperature: number;
  top_p?: number;
  max_tokens?: number;
  response_format?: { type: "json_object" };
  seed: number;
  n: 1;
  stream: false;
}

export function chatCompletionBody(model: string, request: LlmCompletionRequest): ChatCompletionBody {
  return {
    model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    temperature: request.temperature,
    ...(request.topP !== undefined && { top_p: request.topP }),
    ...(request.maxTokens !== undefined && { max_tokens: request.maxTokens }),
    ...(request.json && { response_format: { type: "json_object" as const } }),
    seed: apiSeed(request.seed, request.sampleIndex ?? 0),
    n: 1,
    stream: false,
  };
}

/** Bumped when what a cached value means changes, so old caches are not misread (2: keyed by endpoint identity). */
const CACHE_KEY_VERSION = "maspo-llm-cache/2";

/** What names the server that answers: its base URL and the model asked. Never the key (it is not part of either). */
export interface EndpointIdentity {
  baseURL: string;
  model: string;
}

/**
 * The base URL as it identifies a server: without user info (credentials never enter a key) and
 * trailing slashes, so `https://host/v1/` and `https://host/v1` are one endpoint.
 */
function serverOf(baseURL: string): string {
  let url = baseURL.trim();
  try {
    const parsed = new URL(url);
    if (parsed.username !== "" || parsed.password !== "") {
      parsed.username = "";
      parsed.password = "";
      url = parsed.toString();
    }
  } catch {
    // not a URL the WHATWG parser reads (simlm://<world> is): used as written
  }
  return url.replace(/\/+$/, "");
}

/**
 * The content address of a request: sha256 (hex) of the canonical JSON of everything that decides the
 * answer — the endpoint's identity (base URL and model name), messages, sampling parameters, seed and
 * sample index. Two endpoints serving the same model name are two servers: a refusal by one must never
 * be papered over by the other's cached answers. Not the endpoint id, the role or the key: renaming
 * an endpoint or asking for another role is the same call to the same server.
 */
export function completionCacheKey(endpoint: EndpointIdentity, request: LlmCompletionRequest): string {
  const identity = {
    v: CACHE_KEY_VERSION,
    server: serverOf(endpoint.baseURL),
    model: endpoint.model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    temperature: request.temperature,
    top_p: request.topP ?? null,
    max_tokens: request.maxTokens ?? null,
    response_format: request.json ? "json_object" : null,
    seed: request.seed,
    sampleIndex: request.sampleIndex ?? 0,
  };
  return createHash("sha256").update(canonicalJson(identity)).digest("hex");
}

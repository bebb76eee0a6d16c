/**
 * The one request handler behind both the HTTP server and the in-process fetch: route + body →
 * a reply plan, played into a sink. It holds the only serving state there is — requests in flight
 * (for the concurrency cap) and how often each request body has arrived (for seeded faults).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { MaspoError } from "@maspo/core";
import type { ChatBackend } from "./chat-backend.js";
import { requestDigest } from "./chat-completion-response.js";
import { buildModelList, modelObject } from "./model-list.js";
import {
  invalidJsonError,
  invalidRequestError,
  methodNotAllowedError,
  modelNotFoundError,
  serverError,
  unknownRouteError,
} from "./openai-error.js";
import type { ReplyPlan } from "./reply-plan.js";
import { errorReply, jsonReply, overloadReply, planChatReply } from "./reply-plan.js";
import { decideFault, faultsEnabled, NO_REALISM, type ServiceRealism } from "./service-realism.js";

export interface SimRequest {
  method: string;
  /** Path, optionally with a query (ignored). `/v1` is optional, so a base URL without it still works. */
  path: string;
  body: string;
  /** The TCP port the request came from (over HTTP; absent in process): which client asked, for whoever counts asks. */
  clientPort?: number;
}

/** Where a reply is written: an HTTP response, or the in-process fetch's Response stream. */
export interface ReplySink {
  start(status: number, headers: Record<string, string>): void;
  write(data: string): void;
  end(): void;
  /** The reply will not be completed (client gone, timeout fault, service closed). */
  abandon(reason: unknown): void;
}

export interface SimService {
  readonly backend: ChatBackend;
  readonly realism: ServiceRealism;
  /** Chat completions being answered (or held) right now. */
  readonly inFlight: number;
  /** Answer one request; `signal` aborts when the client goes away. Never rejects for a bad request. */
  handle(request: SimRequest, sink: ReplySink, signal?: AbortSignal): Promise<void>;
  /** Abandon every reply in progress (held timeouts included) and every later one. */
  close(): void;
}

export interface SimServiceOptions {
  backend: ChatBackend;
  realism?: ServiceRealism;
  /** Told of every request that failed inside simlm (answered 500), so the failure is never silent. */
  onError?: (error: unknown) => void;
}

type Routed = { kind: "plan"; plan: ReplyPlan } | { kind: "chat"; body: unknown };

/** Which endpoint a request is for; everything but a chat completion is answered right here. */
export function routeRequest(backend: ChatBackend, request: SimRequest): Routed {
  const method = request.method.toUpperCase();
  const rawPath = request.path.split("?")[0] ?? "";
  const path = rawPath.replace(/\/+$/, "").replace(/^\/v1(?=\/|$)/, "");
  if (path === "/chat/completions") {
    if (method !== "POST") return { kind: "plan", plan: errorReply(methodNotAllowedError(method, rawPath, "POST")) };
    try {
      return { kind: "chat", body: JSON.parse(request.body) as unknown };
    } catch (err) {
      return { kind: "plan", plan: errorReply(invalidJsonError(err instanceof Error ? err.message : String(err))) };
    }
  }
  if (path === "/models") {
    if (method !== "GET") return { kind: "plan", plan: errorReply(methodNotAllowedError(method, rawPath, "GET")) };
    return { kind: "plan", plan: jsonReply(200, buildModelList(backend.modelIds)) };
  }
  const model = /^\/models\/(.+)$/.exec(path)?.[1];
  if (model !== undefined) {
    if (method !== "GET") return { kind: "plan", plan: errorReply(methodNotAllowedError(method, rawPath, "GET")) };
    const id = decodeURIComponent(model);
    return {
      kind: "plan",
      plan: backend.modelIds.includes(id) ? jsonReply(200, modelObject(id)) : errorReply(modelNotFoundError(id, backend.modelIds)),
    };
  }
  return { kind: "plan", plan: errorReply(unknownRouteError(method, rawPath)) };
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  if (ms > 0) await sleep(ms, undefined, { signal });
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/** Write a plan into a sink, honouring its delays; an abort mid-way abandons the reply. */
export async function playReply(plan: ReplyPlan, sink: ReplySink, signal: AbortSignal): Promise<void> {
  if (plan.kind === "hold") {
    await aborted(signal);
    sink.abandon(signal.reason);
    return;
  }
  try {
    await pause(plan.headDelayMs, signal);
    sink.start(plan.status, plan.headers);
    for (const part of plan.parts) {
      await pause(part.delayMs, signal);
      sink.write(part.data);
    }
    sink.end();
  } catch (err) {
    if (!signal.aborted) throw err;
    sink.abandon(signal.reason);
  }
}

export function createSimService(options: SimServiceOptions): SimService {
  const { backend } = options;
  const realism = options.realism ?? NO_REALISM;
  const closing = new AbortController();
  const attempts = new Map<string, number>();
  let inFlight = 0;

  // Only attempts that passed the concurrency cap count, so timing-dependent 429s never shift the
  // fault sequence; and nothing is remembered when no fault can be injected.
  const countAttempt = (digest: string): number => {
    if (!faultsEnabled(realism)) return 1;
    const attempt = (attempts.get(digest) ?? 0) + 1;
    attempts.set(digest, attempt);
    return attempt;
  };

  const answerChat = (body: unknown): ReplyPlan => {
    try {
      const prepared = backend.prepare(body);
      if (!prepared.ok) return errorReply(invalidRequestError(prepared.issues));
      const digest = requestDigest(backend.name, body);
      const attempt = countAttempt(digest);
      return planChatReply({
        request: prepared.request,
        simulate: prepared.simulate,
        digest,
        attempt,
        fault: decideFault(realism, digest, attempt),
        realism,
      });
    } catch (err) {
      options.onError?.(err);
      const detail = err instanceof MaspoError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
      return errorReply(serverError(`simlm failed to simulate this request: ${detail}`));
    }
  };

  return {
    backend,
    realism,
    get inFlight() {
      return inFlight;
    },
    async handle(request, sink, clientSignal) {
      const signal = clientSignal ? AbortSignal.any([clientSignal, closing.signal]) : closing.signal;
      const routed = routeRequest(backend, request);
      if (routed.kind === "plan") return playReply(routed.plan, sink, signal);
      const cap = realism.maxConcurrency;
      if (cap !== undefined && inFlight >= cap) return playReply(overloadReply(realism, cap), sink, signal);
      inFlight++;
      try {
        await playReply(answerChat(routed.body), sink, signal);
      } finally {
        inFlight--;
      }
    },
    close() {
      closing.abort(new MaspoError("E_SIMLM_CLOSED", "the simlm service was closed while this request was open"));
    },
  };
}

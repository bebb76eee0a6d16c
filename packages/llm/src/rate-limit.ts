/**
 * Requests-per-minute and tokens-per-minute limits of an endpoint, shared by every caller of it: the
 * window arithmetic (pure), the RateLimiter interface the LLM client takes a grant from before each
 * HTTP attempt, and the in-process limiter (one per process, shared by every client in it). The
 * cluster's limiter keeps the same windows in JetStream KV (@maspo/cluster, kv-rate-limit.ts), so 50
 * workers starting at once take turns instead of meeting a storm of 429s.
 *
 * The window is counted in slots of RATE_WINDOW.slotMs; a grant is admitted when the slots of the
 * last RATE_WINDOW.slots × slotMs (65 s) hold fewer than `rpm` grants (and fewer than `tpm` tokens).
 * So any 65 s holds at most `rpm` grants, and any 60 s of arrivals at the server does too, as long as
 * a request reaches the server within 5 s of its grant (it is sent at once). The price is a rate up
 * to 8% under the limit. Processes on several hosts read their own clocks: keep them in sync (NTP);
 * a skew of s seconds eats s of the 5 s margin.
 *
 * The identity of a limit (rateLimitKey) is the server, the model and the NAME of the key variable,
 * hashed: what a provider limits (a key's use of a model), never the key itself.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { abortableSleep } from "./abortable-sleep.js";
import type { LlmEndpoint } from "./llm-endpoint.js";

export const RATE_WINDOW = { slotMs: 5_000, slots: 13 } as const;

/** One slot's grants: the slot's index (ms since the epoch / slotMs), requests and tokens granted in it. */
export const RateSlotSchema = z.object({
  slot: z.int().nonnegative(),
  requests: z.int().nonnegative(),
  tokens: z.number().nonnegative(),
});
/** The grants of one limit identity within its window, oldest slot first. */
export const RateWindowSchema = z.object({ slots: z.array(RateSlotSchema) });
export type RateWindow = z.infer<typeof RateWindowSchema>;

/** The spec's `rateLimit` of an endpoint: either limit may be absent. */
export interface RateLimits {
  rpm?: number | undefined;
  tpm?: number | undefined;
}

export type Admission = { ok: true; next: RateWindow; slot: number } | { ok: false; waitMs: number };

function slotOf(nowMs: number): number {
  return Math.floor(nowMs / RATE_WINDOW.slotMs);
}

/** The window without slots that fell out of it. */
function live(window: RateWindow, current: number): RateWindow["slots"] {
  return window.slots.filter((s) => s.slot >= current - RATE_WINDOW.slots && s.slot <= current);
}

/**
 * Whether one more request of `tokens` (estimated) fits the window at `nowMs`: the window with the
 * grant added, or how long until its oldest slot leaves it. A request larger than `tpm` alone is
 * admitted into an empty window, or it could never be sent.
 */
export function admit(window: RateWindow, limits: RateLimits, tokens: number, nowMs: number): Admission {
  const current = slotOf(nowMs);
  const slots = live(window, current);
  const requests = slots.reduce((n, s) => n + s.requests, 0);
  const used = slots.reduce((n, s) => n + s.tokens, 0);
  const requestsFit = limits.rpm === undefined || requests < limits.rpm;
  const tokensFit = limits.tpm === undefined || used === 0 || used + tokens <= limits.tpm;
  if (!requestsFit || !tokensFit) {
    const oldest = slots[0]?.slot ?? current;
    // The oldest slot leaves the window when slot (oldest + slots + 1) begins.
    const waitMs = Math.max(1, (oldest + RATE_WINDOW.slots + 1) * RATE_WINDOW.slotMs - nowMs);
    return { ok: false, waitMs };
  }
  const last = slots[slots.length - 1];
  const next =
    last && last.slot === current
      ? [...slots.slice(0, -1), { slot: current, requests: last.requests + 1, tokens: last.tokens + tokens }]
      : [...slots, { slot: current, requests: 1, tokens }];
  return { ok: true, next: { slots: next }, slot: current };
}

/** The window once a grant's estimate is corrected by `delta` tokens (its actual use minus the estimate). */
export function correctTokens(window: RateWindow, slot: number, delta: number, nowMs: number): RateWindow {
  const slots = live(window, slotOf(nowMs)).map((s) => (s.slot === slot ? { ...s, tokens: Math.max(0, s.tokens + delta) } : s));
  return { slots };
}

/**
 * The identity a limit is counted under: server (without credentials or trailing slash), model and
 * the name of the key variable, hashed. Two endpoint ids naming one server, model and key share it.
 */
export function rateLimitKey(endpoint: Pick<LlmEndpoint, "baseURL" | "model" | "apiKeyEnv">): string {
  let server = endpoint.baseURL.trim();
  try {
    const url = new URL(server);
    url.username = "";
    url.password = "";
    server = url.toString();
  } catch {
    // simlm://<world> is no WHATWG URL: used as written
  }
  server = server.replace(/\/+$/, "");
  return createHash("sha256")
    .update(JSON.stringify([server, endpoint.model, endpoint.apiKeyEnv ?? ""]))
    .digest("hex")
    .slice(0, 32);
}

/** The tokens a request is counted for before its answer says: its text at ~4 characters a token, plus its max_tokens. */
export function estimateTokens(messages: readonly { content: string }[], maxTokens: number | undefined): number {
  const chars = messages.reduce((n, m) => n + m.content.length, 0);
  return Math.ceil(chars / 4) + (maxTokens ?? 0);
}

/** A grant to send one request; `settle` corrects the tokens counted for it once its usage is known. */
export interface RateGrant {
  settle(actualTokens: number): Promise<void>;
}

export interface RateLimiter {
  /** Waits until the request fits the limit of `key`; rejects with `signal.reason` if the signal aborts first. */
  acquire(key: string, limits: RateLimits, estimatedTokens: number, signal: AbortSignal): Promise<RateGrant>;
}

export interface MemoryRateLimiterOptions {
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The limiter of one process: every LLM client in it shares one (processRateLimiter), so a sweep's runs take turns too. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, RateWindow>();
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
  }

  async acquire(key: string, limits: RateLimits, estimatedTokens: number, signal: AbortSignal): Promise<RateGrant> {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const admission = admit(this.windows.get(key) ?? { slots: [] }, limits, estimatedTokens, this.now());
      if (admission.ok) {
        this.windows.set(key, admission.next);
        return {
          settle: (actual) => {
            const window = this.windows.get(key);
            if (window) this.windows.set(key, correctTokens(window, admission.slot, actual - estimatedTokens, this.now()));
            return Promise.resolve();
          },
        };
      }
      await this.sleep(admission.waitMs, signal);
    }
  }
}

let shared: MemoryRateLimiter | undefined;

/** This process's limiter, shared by every LLM client that is given no other. */
export function processRateLimiter(): MemoryRateLimiter {
  shared ??= new MemoryRateLimiter();
  return shared;
}

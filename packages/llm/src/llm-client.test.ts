import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "@maspo/core";
import type { ChatMessage } from "@maspo/core";
import { completionCacheKey } from "./completion-request.js";
import { FileResponseCache } from "./file-response-cache.js";
import { LlmClient, type LlmClientOptions } from "./llm-client.js";
import type { LlmEndpoint } from "./llm-endpoint.js";
import { LlmError } from "./llm-error.js";
import type { LlmEvent } from "./llm-events.js";
import { MemoryResponseCache, type CacheClaim, type ResponseCache } from "./response-cache.js";
import { rateLimitKey, type RateLimiter, type RateLimits } from "./rate-limit.js";
import { SharedConcurrency } from "./shared-concurrency.js";
import { MemorySpendLedger } from "./spend-ledger.js";

/** What the scripted server answers to one request. */
interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON value, or a raw string sent as-is with a JSON content type (to send malformed bodies). */
  body?: unknown;
  /** Never answer; only the request's abort signal ends it. */
  hang?: boolean;
  /** Reject like fetch does when the connection fails. */
  connectionError?: boolean;
}

interface SeenRequest {
  url: string;
  body: Record<string, unknown>;
  authorization: string | null;
  headers: Headers;
}

/** A fake OpenAI chat completions endpoint as a fetch function, answering from a script. */
function fakeOpenAI(script: (req: SeenRequest, index: number) => Reply = () => ({}), holdMs = 0) {
  const seen: SeenRequest[] = [];
  const state = { inFlight: 0, maxInFlight: 0 };
  const fetchFn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    const req: SeenRequest = {
      url: String(input instanceof Request ? input.url : input),
      body: JSON.parse(String(init?.body)) as Record<string, unknown>,
      authorization: headers.get("authorization"),
      headers,
    };
    const index = seen.push(req) - 1;
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      const reply = script(req, index);
      if (holdMs > 0) await new Promise((r) => setTimeout(r, holdMs));
      if (reply.connectionError) throw new TypeError("fetch failed");
      if (reply.hang) {
        await new Promise((_resolve, reject) => {
          const signal = init?.signal;
          const fail = () => reject(new DOMException("This operation was aborted", "AbortError"));
          if (signal?.aborted) fail();
          signal?.addEventListener("abort", fail, { once: true });
        });
      }
      const status = reply.status ?? 200;
      const body = reply.body ?? (status === 200 ? completionFor(req) : { error: { message: `status ${status}`, type: "x" } });
      return new Response(typeof body === "string" ? body : JSON.stringify(body), {
        status,
        headers: { "content-type": "application/json", ...reply.headers },
      });
    } finally {
      state.inFlight--;
    }
  };
  return { fetch: fetchFn as typeof fetch, seen, state };
}

function completionFor(req: SeenRequest) {
  const messages = req.body["messages"] as ChatMessage[];
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 0,
    model: req.body["model"],
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: `answer to ${messages.at(-1)?.content} (seed ${String(req.body["seed"])})` },
        finish_reason: "stop",
      },
    ],
    usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
  };
}

const endpoint = (over: Partial<LlmEndpoint> = {}): LlmEndpoint => ({
  id: "main",
  baseURL: "http://llm.test/v1",
  model: "test-model",
  apiKeyEnv: "TEST_LLM_KEY",
  price: { inputPerMTok: 2, outputPerMTok: 10 },
  concurrency: 4,
  timeoutMs: 5_000,
  maxRetries: 3,
  ...over,
});

const SECRET = "sk-test-SECRET-1234567890";

function client(fake: { fetch: typeof fetch }, over: Partial<LlmClientOptions> & { sleeps?: number[]; events?: LlmEvent[] } = {}) {
  const { sleeps, events, ...rest } = over;
  return new LlmClient({
    endpoints: [endpoint()],
    env: { TEST_LLM_KEY: SECRET },
    fetchFor: () => fake.fetch,
    // Retry waits are recorded, not slept, unless a test passes its own sleep.
    sleep: (ms) => {
      sleeps?.push(ms);
      return Promise.resolve();
    },
    onEvent: (e) => events?.push(e),
    ...rest,
  });
}

const request = (over: Partial<Parameters<LlmClient["complete"]>[0]> = {}) => ({
  endpointId: "main",
  role: "serving" as const,
  messages: [
    { role: "system" as const, content: "You are the solver." },
    { role: "user" as const, content: "## Task\n2+2" },
  ],
  temperature: 0,
  seed: 7,
  ...over,
});

describe("LlmClient requests", () => {
  it("sends one-choice chat completions with model, messages, sampling params and seed, and returns content, finish reason and usage", async () => {
    const fake = fakeOpenAI();
    const result = await client(fake).complete(request({ json: true, maxTokens: 64, topP: 0.9 }));
    expect(fake.seen).toHaveLength(1);
    const sent = fake.seen[0]!;
    expect(sent.url).toBe("http://llm.test/v1/chat/completions");
    expect(sent.body).toMatchObject({
      model: "test-model",
      messages: request().messages,
      temperature: 0,
      top_p: 0.9,
      max_tokens: 64,
      response_format: { type: "json_object" },
      seed: 7,
      n: 1,
    });
    expect(sent.authorization).toBe(`Bearer ${SECRET}`);
    expect(result).toMatchObject({
      content: "answer to ## Task\n2+2 (seed 7)",
      finishReason: "stop",
      usage: { promptTokens: 1000, completionTokens: 500 },
      cached: false,
    });
    expect(result.cacheKey).toMatch(/^[0-9a-f]{64}$/);
  });

  it("makes each sample index a distinct request with its own seed and cache key", async () => {
    const fake = fakeOpenAI();
    const c = client(fake);
    const a = await c.complete(request({ sampleIndex: 0 }));
    const b = await c.complete(request({ sampleIndex: 1 }));
    expect(fake.seen).toHaveLength(2);
    expect(fake.seen[0]!.body["seed"]).toBe(7);
    expect(fake.seen[1]!.body["seed"]).not.toBe(7);
    expect(a.cacheKey).not.toBe(b.cacheKey);
    expect(a.content).not.toBe(b.content);
  });

  it("rejects an invalid request with every problem named by field", async () => {
    const c = client(fakeOpenAI());
    const err = await c.complete(request({ temperature: 3, seed: 1.5, sampleIndex: -1 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const paths = (err as ValidationError).issues.map((i) => i.path).sort();
    expect(paths).toEqual(["sampleIndex", "seed", "temperature"]);
    const unknown = await c.complete(request({ endpointId: "nope" })).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ValidationError);
    expect((unknown as Error).message).toContain("one of the declared endpoints (main)");
  });
});

describe("LlmClient retries", () => {
  it("waits out a 429 with retry-after-ms (really sleeping) and then succeeds", async () => {
    const fake = fakeOpenAI((_r, i) => (i === 0 ? { status: 429, headers: { "retry-after-ms": "20" } } : {}));
    const events: LlmEvent[] = [];
    const c = client(fake, { sleep: undefined, events });
    const result = await c.complete(request());
    expect(result.content).toContain("answer to");
    expect(fake.seen).toHaveLength(2);
    const retried = events.filter((e) => e.type === "call-retried");
    expect(retried).toEqual([expect.objectContaining({ reason: "rate-limited", status: 429, delayMs: 20, serverRequested: true })]);
    expect(c.accounting.totals()).toMatchObject({ calls: 1, failedAttempts: 1, retries: 1 });
  });

  it("reports every attempt's end with its duration and outcome, one per call-started (for latency and in-flight metrics)", async () => {
    const fake = fakeOpenAI((_r, i) => (i === 0 ? { status: 503 } : {}));
    const events: LlmEvent[] = [];
    await client(fake, { events }).complete(request());
    const attempts = events.filter((e) => e.type === "call-started" || e.type === "attempt-ended");
    expect(attempts.map((e) => e.type)).toEqual(["call-started", "attempt-ended", "call-started", "attempt-ended"]);
    expect(attempts.filter((e) => e.type === "attempt-ended").map((e) => (e.type === "attempt-ended" ? e.outcome : ""))).toEqual([
      "server",
      "ok",
    ]);
    for (const e of attempts) if (e.type === "attempt-ended") expect(e.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("waits exactly the Retry-After seconds the server asks for", async () => {
    const fake = fakeOpenAI((_r, i) => (i < 2 ? { status: 429, headers: { "retry-after": "2" } } : {}));
    const sleeps: number[] = [];
    await client(fake, { sleeps }).complete(request());
    expect(sleeps).toEqual([2000, 2000]);
    expect(fake.seen).toHaveLength(3);
  });

  it("reads an HTTP-date Retry-After against the injected clock", async () => {
    const now = Date.parse("2030-01-01T00:00:00Z");
    const fake = fakeOpenAI((_r, i) => (i === 0 ? { status: 503, headers: { "retry-after": "Tue, 01 Jan 2030 00:00:03 GMT" } } : {}));
    const sleeps: number[] = [];
    await client(fake, { sleeps, now: () => now }).complete(request());
    expect(sleeps).toEqual([3000]);
  });

  it("retries a 500 and returns the later success", async () => {
    const fake = fakeOpenAI((_r, i) => (i === 0 ? { status: 500 } : {}));
    const sleeps: number[] = [];
    const result = await client(fake, { sleeps }).complete(request());
    expect(result.cached).toBe(false);
    expect(fake.seen).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it("abandons an attempt that exceeds the endpoint timeout and retries it", async () => {
    const fake = fakeOpenAI((_r, i) => (i === 0 ? { hang: true } : {}));
    const events: LlmEvent[] = [];
    const c = client(fake, { endpoints: [endpoint({ timeoutMs: 30 })], events });
    const result = await c.complete(request());
    expect(result.content).toContain("answer to");
    expect(fake.seen).toHaveLength(2);
    expect(events.find((e) => e.type === "call-retried")).toMatchObject({ reason: "timeout" });
  });

  it("retries truncated JSON, a body that is not a chat completion, and a failed connection", async () => {
    const replies: Reply[] = [
      { body: '{"id":"chatcmpl-1","choices":[{"message":' },
      { body: { hello: "world" } },
      { connectionError: true },
    ];
    const fake = fakeOpenAI((_r, i) => replies[i] ?? {});
    const events: LlmEvent[] = [];
    const result = await client(fake, { events }).complete(request());
    expect(result.content).toContain("answer to");
    expect(events.filter((e) => e.type === "call-retried").map((e) => (e.type === "call-retried" ? e.reason : ""))).toEqual([
      "malformed",
      "malformed",
      "connection",
    ]);
  });

  it("names the underlying cause of a connection failure that outlasts the retries", async () => {
    const failing = (() => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:9"))) as typeof fetch;
    const err = await client({ fetch: failing }, { endpoints: [endpoint({ maxRetries: 1 })] })
      .complete(request())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "E_LLM_EXHAUSTED", details: { attempts: 2 } });
    expect((err as Error).message).toContain("ECONNREFUSED");
  });

  it("does not retry a 400 and says so with the typed error", async () => {
    const fake = fakeOpenAI(() => ({
      status: 400,
      body: { error: { message: "bad parameter max_tokens", type: "invalid_request_error" } },
    }));
    const err = await client(fake)
      .complete(request())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect(err).toMatchObject({ code: "E_LLM_HTTP", details: { attempts: 1, status: 400, retryable: false } });
    expect((err as Error).message).toContain("bad parameter max_tokens");
    expect(fake.seen).toHaveLength(1);
  });

  it("gives up after maxRetries with a typed error naming endpoint, model, attempts and last cause", async () => {
    const fake = fakeOpenAI(() => ({ status: 503, body: { error: { message: "overloaded", type: "server_error" } } }));
    const events: LlmEvent[] = [];
    const c = client(fake, { endpoints: [endpoint({ maxRetries: 2 })], events });
    const err = await c.complete(request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    const e = err as LlmError;
    expect(e.code).toBe("E_LLM_EXHAUSTED");
    expect(e.details).toMatchObject({ endpointId: "main", model: "test-model", attempts: 3, status: 503, retryable: true });
    expect(e.message).toContain("endpoint 'main'");
    expect(e.message).toContain("model test-model");
    expect(e.message).toContain("3 attempts");
    expect(e.message).toContain("overloaded");
    expect(fake.seen).toHaveLength(3);
    expect(c.accounting.totals()).toMatchObject({ calls: 0, failedAttempts: 3, retries: 2, costUsd: 0 });
    expect(events.at(-1)).toMatchObject({ type: "call-failed", code: "E_LLM_EXHAUSTED", attempts: 3 });
  });

  it("classifies exhaustion on 429s as rate limited and on timeouts as timed out", async () => {
    const limited = await client(
      fakeOpenAI(() => ({ status: 429, headers: { "retry-after-ms": "1" } })),
      {
        endpoints: [endpoint({ maxRetries: 1 })],
      },
    )
      .complete(request())
      .catch((e: unknown) => e);
    expect(limited).toMatchObject({ code: "E_LLM_RATE_LIMITED", details: { attempts: 2 } });
    const slow = await client(
      fakeOpenAI(() => ({ hang: true })),
      { endpoints: [endpoint({ maxRetries: 1, timeoutMs: 20 })] },
    )
      .complete(request())
      .catch((e: unknown) => e);
    expect(slow).toMatchObject({ code: "E_LLM_TIMEOUT", details: { attempts: 2 } });
    expect((slow as Error).message).toContain("timeoutMs (20)");
  });

  it("backs off exponentially with jitter that is the same on every run of the same request", async () => {
    const run = async () => {
      const sleeps: number[] = [];
      const fake = fakeOpenAI((_r, i) => (i < 3 ? { status: 502 } : {}));
      await client(fake, { sleeps, backoff: { baseMs: 100, maxMs: 10_000 } }).complete(request());
      return sleeps;
    };
    const first = await run();
    expect(first).toHaveLength(3);
    first.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(50 * 2 ** i);
      expect(ms).toBeLessThanOrEqual(100 * 2 ** i);
    });
    expect(await run()).toEqual(first);
  });

  it("gives up at once when the server asks for a longer wait than maxRetryAfterMs", async () => {
    const fake = fakeOpenAI(() => ({ status: 429, headers: { "retry-after": "3600" } }));
    const sleeps: number[] = [];
    const err = await client(fake, { sleeps })
      .complete(request())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "E_LLM_RATE_LIMITED", details: { attempts: 1 } });
    expect((err as Error).message).toContain("maxRetryAfterMs (120000)");
    expect(sleeps).toEqual([]);
  });

  it("fails with E_LLM_DEADLINE when the call's deadline passes during a Retry-After wait", async () => {
    const fake = fakeOpenAI(() => ({ status: 429, headers: { "retry-after-ms": "60000" } }));
    const err = await client(fake, { sleep: undefined, deadlineMs: 40 })
      .complete(request())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "E_LLM_DEADLINE", details: { attempts: 1, status: 429 } });
    expect((err as Error).message).toContain("40 ms deadline");
    expect((err as Error).message).toContain("rate-limited");
    expect(fake.seen).toHaveLength(1);
  });

  it("stops with E_LLM_ABORTED when the caller aborts", async () => {
    const fake = fakeOpenAI(() => ({ hang: true }));
    const controller = new AbortController();
    const pending = client(fake).complete(request({ signal: controller.signal }));
    await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error("task cancelled"));
    await expect(pending).rejects.toMatchObject({ code: "E_LLM_ABORTED" });
  });
});

describe("LlmClient cache", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "maspo-llm-cache-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("answers a repeated request from the memory cache with zero new calls, counting the hit at no cost", async () => {
    const fake = fakeOpenAI();
    const c = client(fake, { cache: new MemoryResponseCache() });
    const first = await c.complete(request());
    const costAfterFirst = c.accounting.totals().costUsd;
    const second = await c.complete(request());
    expect(fake.seen).toHaveLength(1);
    expect(second).toEqual({ ...first, cached: true });
    expect(c.accounting.totals()).toMatchObject({ calls: 1, cacheHits: 1, promptTokens: 1000, completionTokens: 500 });
    expect(c.accounting.totals().costUsd).toBe(costAfterFirst);
  });

  it("answers from a file cache written by an earlier client on the same directory", async () => {
    const fake1 = fakeOpenAI();
    const first = await client(fake1, { cache: new FileResponseCache(dir) }).complete(request());
    const fake2 = fakeOpenAI();
    const c2 = client(fake2, { cache: new FileResponseCache(dir) });
    const again = await c2.complete(request());
    expect(fake2.seen).toHaveLength(0);
    expect(again).toEqual({ ...first, cached: true });
    expect(c2.accounting.totals()).toMatchObject({ calls: 0, cacheHits: 1, costUsd: 0 });
  });

  it("never answers one endpoint from another's cached answers when both serve the same model name", async () => {
    // Two servers, one model name: the second refuses every call. Its refusal must surface, not the first one's answers.
    const good = fakeOpenAI();
    const refusing = fakeOpenAI(() => ({ status: 401 }));
    const cache = new FileResponseCache(dir);
    const first = await client(good, { cache }).complete(request());
    expect(first.cached).toBe(false);
    const other = client(refusing, { cache, endpoints: [endpoint({ baseURL: "http://other-llm.test/v1" })] });
    const err = await other.complete(request()).catch((e: unknown) => e);
    expect(refusing.seen).toHaveLength(1);
    expect(err).toBeInstanceOf(LlmError);
    expect(other.accounting.totals()).toMatchObject({ cacheHits: 0 });
  });

  it("hits its own endpoint's cache again, whatever the endpoint is called and with or without a trailing slash", async () => {
    const fake = fakeOpenAI();
    const cache = new FileResponseCache(dir);
    const first = await client(fake, { cache }).complete(request());
    const renamed = client(fake, { cache, endpoints: [endpoint({ id: "renamed", baseURL: "http://llm.test/v1/" })] });
    const again = await renamed.complete(request({ endpointId: "renamed" }));
    expect(fake.seen).toHaveLength(1);
    expect(again).toEqual({ ...first, cached: true });
  });

  it("shares one call among concurrent identical requests", async () => {
    const fake = fakeOpenAI(() => ({}), 10);
    const events: LlmEvent[] = [];
    const c = client(fake, { events });
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => c.complete(request())));
    expect(fake.seen).toHaveLength(1);
    expect(results.filter((r) => !r.cached)).toHaveLength(1);
    expect(new Set(results.map((r) => r.content)).size).toBe(1);
    expect(c.accounting.totals()).toMatchObject({ calls: 1, cacheHits: 4 });
    expect(events.filter((e) => e.type === "cache-hit" && e.source === "in-flight")).toHaveLength(4);
  });

  it("lets one waiter of a shared call abort without failing the others", async () => {
    const fake = fakeOpenAI(() => ({}), 20);
    const c = client(fake);
    const controller = new AbortController();
    const leaving = c.complete(request({ signal: controller.signal }));
    const staying = c.complete(request());
    controller.abort();
    await expect(leaving).rejects.toMatchObject({ code: "E_LLM_ABORTED" });
    await expect(staying).resolves.toMatchObject({ cached: true });
    expect(fake.seen).toHaveLength(1);
  });

  it("does not cache failures", async () => {
    const fake = fakeOpenAI((_r, i) => (i === 0 ? { status: 400 } : {}));
    const c = client(fake);
    await expect(c.complete(request())).rejects.toMatchObject({ code: "E_LLM_HTTP" });
    await expect(c.complete(request())).resolves.toMatchObject({ cached: false });
    expect(fake.seen).toHaveLength(2);
  });

  it("never writes the API key into cache files or error messages", async () => {
    const fake = fakeOpenAI((req, i) =>
      i === 0 ? {} : { status: 401, body: { error: { message: `Incorrect API key provided: ${req.authorization}`, type: "auth" } } },
    );
    const c = client(fake, { cache: new FileResponseCache(dir) });
    await c.complete(request());
    const err = await c.complete(request({ seed: 8 })).catch((e: unknown) => e);
    expect(fake.seen[1]!.authorization).toContain(SECRET);
    expect(err).toMatchObject({ code: "E_LLM_HTTP", details: { status: 401 } });
    expect((err as Error).message).toContain("Incorrect API key provided");
    expect((err as Error).message).not.toContain(SECRET);
    expect(JSON.stringify(err)).not.toContain(SECRET);
    expect((err as Error).cause).toBeUndefined();
    const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(await readFile(join(f.parentPath, f.name), "utf8")).not.toContain(SECRET);
  });
});

/** A memory cache that offers claims, answering each claim() from a script: what another process would be doing. */
function claimingCache(script: (call: number) => CacheClaim) {
  const memory = new MemoryResponseCache();
  const log = { claims: [] as number[], releases: 0 };
  const cache: ResponseCache = {
    get: (key) => memory.get(key),
    set: (key, value) => memory.set(key, value),
    claim: (_key, ttlMs) => {
      log.claims.push(ttlMs);
      return Promise.resolve(script(log.claims.length - 1));
    },
  };
  return { cache, memory, log };
}

const owned = (log: { releases: number }): CacheClaim => ({
  owner: true,
  release: () => {
    log.releases++;
    return Promise.resolve();
  },
});

const stored = { content: "the other process's answer", finishReason: "stop", usage: { promptTokens: 1000, completionTokens: 500 } };

describe("LlmClient with a cache that offers cross-process claims", () => {
  it("answers from another process's claimed call as a cache hit, with no call and no cost", async () => {
    const fake = fakeOpenAI();
    const events: LlmEvent[] = [];
    const { cache } = claimingCache(() => ({ owner: false, wait: () => Promise.resolve(stored) }));
    const c = client(fake, { cache, events });
    const result = await c.complete(request());
    expect(fake.seen).toHaveLength(0);
    expect(result).toMatchObject({ content: stored.content, cached: true });
    expect(c.accounting.totals()).toMatchObject({ calls: 0, cacheHits: 1, promptTokens: 0, costUsd: 0 });
    expect(events).toEqual([expect.objectContaining({ type: "cache-hit", source: "cache" })]);
  });

  it("starts over when a claim ends without a value, then owns the claim, calls, stores and releases", async () => {
    const fake = fakeOpenAI();
    const { cache, memory, log } = claimingCache((i) => (i === 0 ? { owner: false, wait: () => Promise.resolve(undefined) } : owned(log)));
    const c = client(fake, { cache, claimTtlMs: 1234 });
    const result = await c.complete(request());
    expect(fake.seen).toHaveLength(1);
    expect(result.cached).toBe(false);
    expect(log).toEqual({ claims: [1234, 1234], releases: 1 });
    expect(await memory.get(result.cacheKey)).toMatchObject({ content: result.content });
  });

  it("does not call when the value was stored between its miss and its claim", async () => {
    const fake = fakeOpenAI();
    const key = completionCacheKey(endpoint(), request());
    const { cache, memory, log } = claimingCache(() => {
      // Another process stored its value and released just before this claim.
      void memory.set(key, stored);
      return owned(log);
    });
    const c = client(fake, { cache });
    const result = await c.complete(request());
    expect(fake.seen).toHaveLength(0);
    expect(result).toMatchObject({ content: stored.content, cached: true });
    expect(log.releases).toBe(1);
  });

  it("releases its claim when the call fails, stores nothing and reports the call's error", async () => {
    const fake = fakeOpenAI(() => ({ status: 400 }));
    const { cache, memory, log } = claimingCache(() => owned(log));
    const err = await client(fake, { cache })
      .complete(request())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "E_LLM_HTTP" });
    expect(log.releases).toBe(1);
    expect(memory.size).toBe(0);
  });

  it("keeps the caller's deadline while waiting for another process: E_LLM_DEADLINE saying what it waited for", async () => {
    const fake = fakeOpenAI();
    const seenSignals: AbortSignal[] = [];
    const { cache } = claimingCache(() => ({
      owner: false,
      wait: (signal) => {
        seenSignals.push(signal);
        return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
      },
    }));
    const err = await client(fake, { cache, deadlineMs: 30 })
      .complete(request())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "E_LLM_DEADLINE", details: { attempts: 0 } });
    expect((err as Error).message).toContain("while waiting for another process's identical call");
    expect(seenSignals[0]?.aborted).toBe(true);
    expect(fake.seen).toHaveLength(0);
  });

  it("claims once for concurrent identical requests in one process", async () => {
    const fake = fakeOpenAI(() => ({}), 10);
    const { cache, log } = claimingCache(() => owned(log));
    const c = client(fake, { cache });
    await Promise.all([1, 2, 3].map(() => c.complete(request())));
    expect(log.claims).toHaveLength(1);
    expect(fake.seen).toHaveLength(1);
  });

  it("leaves the in-process caches without claims, so they work exactly as before", () => {
    expect("claim" in new MemoryResponseCache()).toBe(false);
    expect("claim" in new FileResponseCache(tmpdir())).toBe(false);
  });
});

describe("LlmClient limits and accounting", () => {
  it("never has more requests in flight to an endpoint than its concurrency", async () => {
    const fake = fakeOpenAI(() => ({}), 5);
    const c = client(fake, { endpoints: [endpoint({ concurrency: 3 })] });
    await Promise.all(Array.from({ length: 12 }, (_, i) => c.complete(request({ seed: i }))));
    expect(fake.seen).toHaveLength(12);
    expect(fake.state.maxInFlight).toBe(3);
  });

  it("never has more requests in flight over all endpoints than maxInFlight", async () => {
    const fake = fakeOpenAI(() => ({}), 5);
    const c = client(fake, {
      endpoints: [endpoint({ id: "a", concurrency: 3 }), endpoint({ id: "b", concurrency: 3 })],
      maxInFlight: 4,
    });
    await Promise.all(Array.from({ length: 16 }, (_, i) => c.complete(request({ seed: i, endpointId: i % 2 === 0 ? "a" : "b" }))));
    expect(fake.seen).toHaveLength(16);
    expect(fake.state.maxInFlight).toBe(4);
  });

  it("shares an endpoint's concurrency and maxInFlight with the other clients of the process, so two runs' calls stay within one budget", async () => {
    const fake = fakeOpenAI(() => ({}), 5);
    // Two runs of one spec in one process: same endpoint (id, server, model, key variable), each its own client.
    const shared = new SharedConcurrency();
    const runs = [0, 1].map(() => client(fake, { endpoints: [endpoint({ concurrency: 3 })], sharedConcurrency: shared }));
    await Promise.all(runs.flatMap((c, r) => Array.from({ length: 8 }, (_, i) => c.complete(request({ seed: r * 100 + i })))));
    expect(fake.seen).toHaveLength(16);
    expect(fake.state.maxInFlight).toBe(3);

    const fake2 = fakeOpenAI(() => ({}), 5);
    const both = [0, 1].map(() =>
      client(fake2, {
        endpoints: [endpoint({ id: "a", concurrency: 8 }), endpoint({ id: "b", concurrency: 8 })],
        maxInFlight: 5,
        sharedConcurrency: shared,
      }),
    );
    await Promise.all(
      both.flatMap((c, r) =>
        Array.from({ length: 12 }, (_, i) => c.complete(request({ seed: r * 100 + i, endpointId: i % 2 ? "a" : "b" }))),
      ),
    );
    expect(fake2.state.maxInFlight).toBe(5);
  });

  it("keeps a client's limits its own when it is given its own SharedConcurrency", async () => {
    const fake = fakeOpenAI(() => ({}), 5);
    const runs = [0, 1].map(() => client(fake, { endpoints: [endpoint({ concurrency: 3 })], sharedConcurrency: new SharedConcurrency() }));
    await Promise.all(runs.flatMap((c, r) => Array.from({ length: 8 }, (_, i) => c.complete(request({ seed: r * 100 + i })))));
    expect(fake.state.maxInFlight).toBe(6);
  });

  it("sums calls, tokens and cost per model and role, and cache hits cost nothing", async () => {
    const fake = fakeOpenAI();
    const c = client(fake, {
      endpoints: [endpoint(), endpoint({ id: "judge", model: "judge-model", price: { inputPerMTok: 1, outputPerMTok: 4 } })],
    });
    await c.complete(request({ seed: 1 }));
    await c.complete(request({ seed: 2 }));
    await c.complete(request({ seed: 2 }));
    await c.complete(request({ endpointId: "judge", role: "evaluator" }));
    const rows = c.accounting.snapshot().rows;
    expect(rows).toEqual([
      {
        endpointId: "judge",
        model: "judge-model",
        role: "evaluator",
        calls: 1,
        failedAttempts: 0,
        retries: 0,
        promptTokens: 1000,
        completionTokens: 500,
        costUsd: expect.closeTo(0.001 + 0.002, 12) as number,
        cacheHits: 0,
      },
      {
        endpointId: "main",
        model: "test-model",
        role: "serving",
        calls: 2,
        failedAttempts: 0,
        retries: 0,
        promptTokens: 2000,
        completionTokens: 1000,
        costUsd: expect.closeTo(2 * (0.002 + 0.005), 12) as number,
        cacheHits: 1,
      },
    ]);
    expect(c.accounting.totals().costUsd).toBeCloseTo(0.017, 12);
  });
});

describe("LlmClient endpoints", () => {
  it("names a missing API key variable, never a value, and lists every unusable endpoint", () => {
    const make = () =>
      new LlmClient({
        endpoints: [endpoint({ apiKeyEnv: "MISSING_KEY_A" }), endpoint({ id: "sim", baseURL: "simlm://math-chain", apiKeyEnv: undefined })],
        env: { OTHER: SECRET },
      });
    expect(make).toThrow(LlmError);
    try {
      make();
    } catch (err) {
      expect(err).toMatchObject({ code: "E_LLM_CONFIG" });
      expect((err as Error).message).toContain("MISSING_KEY_A");
      expect((err as Error).message).toContain("simlm://math-chain");
      expect((err as Error).message).not.toContain(SECRET);
    }
  });

  it("sends no ambient OPENAI_* credentials or ids from the environment, only the endpoint's own key", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { OPENAI_ADMIN_KEY: "admin-secret-xyz", OPENAI_ORG_ID: "org-xyz", OPENAI_PROJECT_ID: "proj-xyz" });
    try {
      const fake = fakeOpenAI();
      await client(fake).complete(request());
      const sent = JSON.stringify([...fake.seen[0]!.headers]);
      expect(sent).toContain(SECRET);
      expect(sent).not.toMatch(/admin-secret-xyz|org-xyz|proj-xyz/);
    } finally {
      for (const k of ["OPENAI_ADMIN_KEY", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"]) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  it("rejects a non-positive deadline, negative backoff and a fractional claim ttl naming each option", () => {
    const make = () => client(fakeOpenAI(), { deadlineMs: 0, backoff: { baseMs: -1, maxMs: 10 }, claimTtlMs: 2.5 });
    expect(make).toThrow(ValidationError);
    try {
      make();
    } catch (err) {
      expect((err as ValidationError).issues.map((i) => i.path).sort()).toEqual(["backoff.baseMs", "claimTtlMs", "deadlineMs"]);
    }
  });

  it("routes a simlm:// endpoint to the injected fetch with a fixed local base URL", async () => {
    const fake = fakeOpenAI();
    const c = new LlmClient({
      endpoints: [endpoint({ baseURL: "simlm://math-chain", apiKeyEnv: undefined })],
      env: {},
      fetchFor: (e) => (e.baseURL.startsWith("simlm://") ? fake.fetch : undefined),
    });
    await c.complete(request());
    expect(fake.seen[0]!.url).toBe("http://simlm.invalid/v1/chat/completions");
  });

  it("rejects malformed endpoint declarations with every problem named", () => {
    const make = () =>
      new LlmClient({ endpoints: [endpoint({ concurrency: 0, baseURL: "ftp://x" }), endpoint()], env: { TEST_LLM_KEY: "k" } });
    expect(make).toThrow(ValidationError);
    try {
      make();
    } catch (err) {
      const issues = (err as ValidationError).issues;
      expect(issues.map((i) => i.path).sort()).toEqual(["[0].baseURL", "[0].concurrency", "[1].id"]);
      expect(issues.find((i) => i.path === "[0].concurrency")).toMatchObject({ expected: "a number ≥ 1", found: "0" });
    }
  });
});

describe("LlmClient rate limits and spend ledger", () => {
  it("settles every served attempt in the run's ledger, a failed one at no cost, and counts its retry", async () => {
    const fake = fakeOpenAI((_req, i) => (i === 0 ? { status: 500 } : {}));
    const ledger = new MemorySpendLedger({ budgetUsd: null });
    await client(fake, { ledger }).complete(request());
    expect(ledger.snapshot().rows).toEqual([
      {
        endpointId: "main",
        model: "test-model",
        role: "serving",
        calls: 1,
        failedAttempts: 1,
        retries: 1,
        promptTokens: 1000,
        completionTokens: 500,
        costUsd: (1000 * 2 + 500 * 10) / 1e6,
        cacheHits: 0,
      },
    ]);
  });

  it("counts a cached answer the cache says nobody counted (a resumed run's) as the call it was, once, in its ledger and accounting", async () => {
    const fake = fakeOpenAI();
    const cache = new MemoryResponseCache();
    const unpaid = new Set<string>();
    const resumedCache = Object.assign(cache, { takeUnpaid: (key: string) => unpaid.delete(key) });
    const first = await client(fake, { cache: resumedCache }).complete(request());
    unpaid.add(first.cacheKey);
    const ledger = new MemorySpendLedger({ budgetUsd: null });
    const llm = client(fake, { cache: resumedCache, ledger });
    const again = await llm.complete(request());
    expect(again.cached).toBe(false);
    expect((await llm.complete(request())).cached).toBe(true);
    expect(fake.seen).toHaveLength(1);
    expect(ledger.snapshot().rows).toEqual([expect.objectContaining({ calls: 1, promptTokens: 1000, completionTokens: 500 })]);
    expect(llm.accounting.snapshot().rows).toEqual([expect.objectContaining({ calls: 1, cacheHits: 1 })]);
  });

  it("refuses a call with E_LLM_BUDGET, not retryable and never sent, once the budget is spent", async () => {
    const fake = fakeOpenAI();
    const llm = client(fake, { ledger: new MemorySpendLedger({ budgetUsd: 0.005 }) });
    await llm.complete(request());
    const refused = await llm.complete(request({ seed: 8 })).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(LlmError);
    expect((refused as LlmError).code).toBe("E_LLM_BUDGET");
    expect((refused as LlmError).details.retryable).toBe(false);
    expect((refused as LlmError).message).toContain("budget of $0.005 is spent");
    expect(fake.seen).toHaveLength(1);
  });

  it("sends the endpoint's maxOutputTokens as max_tokens when a call states none, and the call's own when it does", async () => {
    const fake = fakeOpenAI();
    const llm = client(fake, { endpoints: [endpoint({ maxOutputTokens: 64 })] });
    await llm.complete(request());
    await llm.complete(request({ maxTokens: 10 }));
    expect(fake.seen.map((r) => r.body["max_tokens"])).toEqual([64, 10]);
  });

  it("takes a grant of the endpoint's rate limit before every attempt and the probe, and settles it with the tokens used", async () => {
    const fake = fakeOpenAI((_req, i) => (i === 0 ? { status: 500 } : {}));
    const grants: { key: string; limits: RateLimits; settled?: number }[] = [];
    const rateLimiter: RateLimiter = {
      acquire: (key, limits) => {
        const grant: (typeof grants)[number] = { key, limits };
        grants.push(grant);
        return Promise.resolve({ settle: (tokens) => ((grant.settled = tokens), Promise.resolve()) });
      },
    };
    const limited = endpoint({ rateLimit: { rpm: 5 } });
    const llm = client(fake, { endpoints: [limited], rateLimiter });
    await llm.complete(request());
    await llm.probe("main");
    expect(grants.map((g) => [g.key, g.limits.rpm, g.settled])).toEqual([
      [rateLimitKey(limited), 5, 0],
      [rateLimitKey(limited), 5, 1500],
      [rateLimitKey(limited), 5, 0],
    ]);
  });
});

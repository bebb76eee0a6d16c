/**
 * Record and replay of a run's LLM exchanges, below the client: the recorder wraps each endpoint's
 * fetch (so what is kept is exactly what went over the wire, every attempt, failures and retries
 * included) and the response cache (so answers a warm cache gave instead of the network are kept
 * too); the replayer answers the same HTTP requests from the recording, in their recorded order per
 * request, and never reaches the network. The client itself does not know which is in use: it runs
 * the same retries, cache and accounting over either, which is why a replayed run counts the calls,
 * tokens, cost and retries the recorded run counted.
 *
 * A recording holds request and response bodies, and of the headers only a response's content type
 * and retry hints — no request header (the key travels in the Authorization header) — and every API
 * key value the recorder was given is scrubbed from all of it.
 */
import { createHash } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { MaspoError, canonicalJson } from "@maspo/core";
import type { LlmEndpoint } from "./llm-endpoint.js";
import { cachedCompletionSchema, MemoryResponseCache, type CachedCompletion, type ResponseCache } from "./response-cache.js";

/** Bumped when a line's meaning changes, so an old recording is refused rather than misread. */
export const EXCHANGE_LOG_VERSION = 1;

/**
 * Key values shorter than this are placeholders (vLLM's "EMPTY"), not secrets: scrubbing them would
 * rewrite ordinary text in the bodies and break the replay. Headers, where a key travels, are never kept.
 */
const MIN_SECRET_LENGTH = 8;

/** The response headers a replay needs to behave like the server did (retry waits); never credentials. */
const KEPT_HEADERS = ["content-type", "retry-after", "retry-after-ms", "x-should-retry"] as const;

const endpointRefSchema = z.object({ endpointId: z.string(), model: z.string(), baseURL: z.string() });

/** One attempt over the wire: the request and what came back (a response, a connection failure, or an abort). */
const exchangeLineSchema = endpointRefSchema.extend({
  v: z.literal(EXCHANGE_LOG_VERSION),
  kind: z.literal("exchange"),
  /** The request's content address (exchangeKey): endpoint identity, method, path and body. */
  key: z.string().regex(/^[0-9a-f]{64}$/),
  method: z.string(),
  path: z.string(),
  /** The JSON body sent, parsed; null for a request without one (GET /models). */
  request: z.unknown(),
  outcome: z.discriminatedUnion("type", [
    z.object({
      type: z.literal("response"),
      status: z.int(),
      headers: z.record(z.string(), z.string()),
      body: z.string(),
      usage: z.object({ promptTokens: z.int().nonnegative(), completionTokens: z.int().nonnegative() }).optional(),
    }),
    /** The fetch rejected (unreachable host, reset connection): replayed as the same rejection. */
    z.object({ type: z.literal("connection-failed"), message: z.string() }),
    /** The client gave up on the attempt (its timeout): replayed by waiting for the same abort. */
    z.object({ type: z.literal("aborted") }),
  ]),
});

/** An answer a warm response cache gave the recorded run instead of the network: replayed as the same cache hit. */
const cachedLineSchema = z.object({
  v: z.literal(EXCHANGE_LOG_VERSION),
  kind: z.literal("cached"),
  cacheKey: z.string(),
  value: cachedCompletionSchema,
});

export const exchangeLogLineSchema = z.discriminatedUnion("kind", [exchangeLineSchema, cachedLineSchema]);
export type ExchangeLogLine = z.infer<typeof exchangeLogLineSchema>;
type ExchangeLine = z.infer<typeof exchangeLineSchema>;

/** What names a request over the wire: the endpoint's server and model, the method, the path and the body. */
export function exchangeKey(endpoint: Pick<LlmEndpoint, "baseURL" | "model">, method: string, path: string, body: unknown): string {
  const identity = { v: EXCHANGE_LOG_VERSION, server: endpoint.baseURL.replace(/\/+$/, ""), model: endpoint.model, method, path, body };
  return createHash("sha256").update(canonicalJson(identity)).digest("hex");
}

/** A request as fetch is called with it: its method, path (with query) and parsed JSON body. */
async function requestOf(input: Parameters<typeof fetch>[0], init: RequestInit | undefined) {
  const request = input instanceof Request ? input : undefined;
  const url = new URL(request ? request.url : String(input));
  const method = (init?.method ?? request?.method ?? "GET").toUpperCase();
  const raw = init?.body ?? (request ? await request.clone().text() : undefined);
  const text = raw === undefined || raw === null ? "" : typeof raw === "string" ? raw : new TextDecoder().decode(raw as ArrayBuffer);
  let body: unknown = null;
  if (text !== "") {
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = text;
    }
  }
  return { method, path: `${url.pathname}${url.search}`, body, signal: init?.signal ?? request?.signal ?? undefined };
}

function usageOf(status: number, body: string): { promptTokens: number; completionTokens: number } | undefined {
  if (status < 200 || status >= 300) return undefined;
  try {
    const usage = (JSON.parse(body) as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } }).usage;
    if (typeof usage?.prompt_tokens === "number" && typeof usage.completion_tokens === "number") {
      return { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens };
    }
  } catch {
    // not JSON: kept as text, no usage to read
  }
  return undefined;
}

export interface ExchangeCounts {
  /** Attempts over the wire (responses, failures and aborts). */
  exchanges: number;
  /** Answers a warm cache gave instead of the network. */
  cached: number;
}

/** Appends every exchange of a run, in the order they end, to one JSON-lines file. */
export class ExchangeRecorder {
  private readonly out: WriteStream;
  private readonly secrets: string[];
  /** Cache keys this run stored after a network call: a later hit on them is not a warm-cache answer. */
  private readonly storedHere = new Set<string>();
  private readonly cachedKept = new Set<string>();
  private readonly counts: ExchangeCounts = { exchanges: 0, cached: 0 };
  private failure: Error | undefined;

  constructor(
    readonly file: string,
    /** API key values to scrub from everything written (the recorder never writes a request header). */
    secrets: readonly string[],
  ) {
    this.secrets = secrets.filter((s) => s.length >= MIN_SECRET_LENGTH);
    this.out = createWriteStream(file, { flags: "wx", encoding: "utf8" });
    this.out.on("error", (err) => (this.failure ??= err));
  }

  get recorded(): ExchangeCounts {
    return { ...this.counts };
  }

  /** The endpoint's fetch (`inner`, or the global fetch), every exchange through it recorded. */
  wrapFetch(endpoint: LlmEndpoint, inner: typeof fetch | undefined): typeof fetch {
    const send = inner ?? fetch;
    const ref = { endpointId: endpoint.id, model: endpoint.model, baseURL: withoutCredentials(endpoint.baseURL) };
    return async (input, init) => {
      const req = await requestOf(input, init);
      const line = (outcome: ExchangeLine["outcome"]): ExchangeLine => ({
        v: EXCHANGE_LOG_VERSION,
        kind: "exchange",
        ...ref,
        key: exchangeKey(endpoint, req.method, req.path, req.body),
        method: req.method,
        path: req.path,
        request: req.body,
        outcome,
      });
      let response: Response;
      let body: string;
      try {
        response = await send(input, init);
        // Read whole so that what is kept is what the client read; a fresh response carries it on.
        body = await response.text();
      } catch (err) {
        this.write(req.signal?.aborted ? line({ type: "aborted" }) : line({ type: "connection-failed", message: messageOf(err) }));
        throw err;
      }
      const headers: Record<string, string> = {};
      for (const name of KEPT_HEADERS) {
        const value = response.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      const usage = usageOf(response.status, body);
      this.write(line({ type: "response", status: response.status, headers, body, ...(usage ? { usage } : {}) }));
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    };
  }

  /** The run's response cache, its warm answers (those this run did not pay for) recorded. */
  wrapCache(cache: ResponseCache): ResponseCache {
    const wrapped: ResponseCache = {
      get: async (key) => {
        const hit = await cache.get(key);
        if (hit && !this.storedHere.has(key) && !this.cachedKept.has(key)) {
          this.cachedKept.add(key);
          this.write({ v: EXCHANGE_LOG_VERSION, kind: "cached", cacheKey: key, value: hit });
        }
        return hit;
      },
      set: async (key, value) => {
        this.storedHere.add(key);
        await cache.set(key, value);
      },
    };
    if (cache.claim) wrapped.claim = cache.claim.bind(cache);
    return wrapped;
  }

  /** Flushes and closes the file; rejects if any line could not be written. */
  async close(): Promise<ExchangeCounts> {
    await new Promise<void>((resolve) => this.out.end(resolve));
    if (this.failure) throw this.failure;
    return this.recorded;
  }

  private write(line: ExchangeLogLine): void {
    if (line.kind === "exchange") this.counts.exchanges++;
    else this.counts.cached++;
    this.out.write(`${this.scrub(JSON.stringify(line))}\n`);
  }

  private scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      out = out.split(secret).join("[redacted]");
      // A key may also sit in the text JSON-escaped.
      const escaped = JSON.stringify(secret).slice(1, -1);
      if (escaped !== secret) out = out.split(escaped).join("[redacted]");
    }
    return out;
  }
}

/** What a replay could not answer: the request as the run asked it, for the error that names it. */
export interface ReplayMiss {
  endpointId: string;
  model: string;
  key: string;
  method: string;
  path: string;
  /** Exchanges the recording holds for this key (0: the request was never made in the recorded run). */
  recordedForKey: number;
}

/** Status of the answer to a request the recording does not hold: a refusal the client does not retry. */
const MISS_STATUS = 409;

/** Answers a run's requests from a recording; nothing it does reaches the network. */
export class ExchangeReplayer {
  private readonly byKey = new Map<string, ExchangeLine[]>();
  private readonly next = new Map<string, number>();
  private readonly cachedLines: { cacheKey: string; value: CachedCompletion }[] = [];
  private servedCount = 0;

  private constructor(
    lines: readonly ExchangeLogLine[],
    /** Told about each request the recording cannot answer (the run then stops: a replay never goes live). */
    private readonly onMiss: (miss: ReplayMiss) => void,
  ) {
    for (const line of lines) {
      if (line.kind === "cached") {
        this.cachedLines.push({ cacheKey: line.cacheKey, value: line.value });
        continue;
      }
      const list = this.byKey.get(line.key) ?? [];
      list.push(line);
      this.byKey.set(line.key, list);
    }
  }

  /** Reads and validates a recording's lines; a bad line is an error naming its line number. */
  static async load(file: string, onMiss: (miss: ReplayMiss) => void): Promise<ExchangeReplayer> {
    const text = await readFile(file, "utf8").catch((err: unknown) => {
      throw new RecordingError("E_RECORDING", `cannot read the recorded exchanges ${file}: ${messageOf(err)}`, { cause: err });
    });
    const lines: ExchangeLogLine[] = [];
    text.split("\n").forEach((raw, i) => {
      if (raw.trim() === "") return;
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch (err) {
        throw new RecordingError("E_RECORDING", `${file} line ${i + 1}: not JSON (${messageOf(err)})`);
      }
      const parsed = exchangeLogLineSchema.safeParse(json);
      if (!parsed.success) {
        const first = parsed.error.issues[0];
        throw new RecordingError(
          "E_RECORDING",
          `${file} line ${i + 1}: not a recorded exchange of version ${EXCHANGE_LOG_VERSION} (${first ? `${first.path.join(".") || "(root)"}: ${first.message}` : "invalid"})`,
        );
      }
      lines.push(parsed.data);
    });
    return new ExchangeReplayer(lines, onMiss);
  }

  /** Exchanges answered from the recording so far. */
  get served(): number {
    return this.servedCount;
  }

  /** A fresh in-memory cache holding the answers the recorded run's warm cache gave. */
  seededCache(): ResponseCache {
    const cache = new MemoryResponseCache();
    for (const { cacheKey, value } of this.cachedLines) void cache.set(cacheKey, value);
    return cache;
  }

  /**
   * The endpoint's fetch in a replay: each request is answered by the next recorded exchange of its
   * key (the last one again once they run out: the same request asked twice got the same answer).
   */
  fetchFor(endpoint: LlmEndpoint): typeof fetch {
    return async (input, init) => {
      const req = await requestOf(input, init);
      const key = exchangeKey(endpoint, req.method, req.path, req.body);
      const recorded = this.byKey.get(key) ?? [];
      const index = this.next.get(key) ?? 0;
      const line = recorded[Math.min(index, recorded.length - 1)];
      // An exchange beyond the recorded ones for a key would be a call the recorded run never made.
      if (!line || (index >= recorded.length && line.outcome.type !== "response")) {
        this.onMiss({
          endpointId: endpoint.id,
          model: endpoint.model,
          key,
          method: req.method,
          path: req.path,
          recordedForKey: recorded.length,
        });
        const message = `maspo replay: the recording holds no exchange for this request (key ${key}); no live call is made in a replay`;
        return new Response(JSON.stringify({ error: { message, type: "replay_miss" } }), {
          status: MISS_STATUS,
          headers: { "content-type": "application/json" },
        });
      }
      this.next.set(key, index + 1);
      this.servedCount++;
      const outcome = line.outcome;
      if (outcome.type === "connection-failed") throw new TypeError(`fetch failed (replayed: ${outcome.message})`);
      if (outcome.type === "aborted") return waitForAbort(req.signal);
      return new Response(outcome.body, { status: outcome.status, headers: outcome.headers });
    };
  }
}

/** A recording that cannot be used, a spec other than the recorded one, or a request it does not hold. */
export class RecordingError extends MaspoError<"E_RECORDING" | "E_REPLAY_MISMATCH" | "E_REPLAY_MISSING"> {}

/** The recorded attempt was given up by the client: the replayed one waits for the same give-up. */
function waitForAbort(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return reject(new TypeError("fetch failed (replayed: an attempt the client gave up on)"));
    if (signal.aborted) return reject(signal.reason as Error);
    signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
  });
}

/** A base URL without user info: credentials never enter a recording. */
export function withoutCredentials(baseURL: string): string {
  try {
    const url = new URL(baseURL);
    if (url.username === "" && url.password === "") return baseURL;
    url.username = "";
    url.password = "";
    return url.toString();
  } catch {
    return baseURL; // simlm://<world> and the like: nothing to strip
  }
}

function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? ` (${err.cause.message})` : "";
  return `${err.message}${cause}`;
}

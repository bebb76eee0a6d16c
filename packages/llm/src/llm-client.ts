/**
 * The LLM client every maspo process uses: one `openai` SDK client per declared endpoint, with a
 * concurrency limit per endpoint and one over all of them (both per process: shared fairly with the
 * other clients in it, shared-concurrency.ts), our own retries (the SDK's are off, so backoff is
 * seeded and every retry is counted), a per-attempt timeout and an overall deadline per call, a
 * content-addressed response cache with single-flight (within the process, and across processes when
 * the cache offers claims), and accounting per model and role.
 */
import OpenAI from "openai";
import { z } from "zod";
import { ValidationError } from "@maspo/core";
import type { EndpointProbe, LlmCaller, LlmRole } from "@maspo/core";
import { abortableSleep } from "./abortable-sleep.js";
import { failureFromSdkError, type AttemptFailure } from "./attempt-failure.js";
import {
  chatCompletionBody,
  completionCacheKey,
  validateCompletionRequest,
  type ChatCompletionBody,
  type LlmCompletion,
  type LlmCompletionRequest,
} from "./completion-request.js";
import { PROBE_PROMPT, probeEndpoint } from "./endpoint-probe.js";
import { callCostUsd, LlmAccounting } from "./llm-accounting.js";
import type { Env } from "@maspo/core";
import { parseLlmEndpoints, resolveConnections, type FetchFor, type LlmEndpoint } from "./llm-endpoint.js";
import { LlmError, ResponseCacheError, type LlmErrorCode } from "./llm-error.js";
import type { AttemptOutcomeLabel, LlmEvent, LlmEventListener } from "./llm-events.js";
import { MAX_CLAIM_TTL_MS, MemoryResponseCache, type CachedCompletion, type ResponseCache } from "./response-cache.js";
import { DEFAULT_BACKOFF, maxRetryAfterMs, retryAfterTooLong, retryDelayMs, type BackoffPolicy } from "./retry-policy.js";
import { FlightLeft, SingleFlight } from "./single-flight.js";
import { estimateTokens, processRateLimiter, rateLimitKey, type RateGrant, type RateLimiter } from "./rate-limit.js";
import { ALL_ENDPOINTS_SLOT_KEY, endpointSlotKey, processConcurrency, type SharedConcurrency } from "./shared-concurrency.js";
import {
  DEFAULT_RESERVED_OUTPUT_TOKENS,
  RESERVATION_GRACE_MS,
  worstCaseCost,
  type SpendLedger,
  type SpendReservation,
} from "./spend-ledger.js";
import { issuesFromZod } from "@maspo/core";

export interface LlmClientOptions {
  /** The run spec's model endpoints; validated here. */
  endpoints: readonly LlmEndpoint[];
  /** Where API keys are read from, by each endpoint's `apiKeyEnv`. Default: process.env. */
  env?: Env;
  /** A fetch per endpoint: required for `simlm://` endpoints (simlm's in-process fetch), optional otherwise. */
  fetchFor?: FetchFor;
  /** Default: a fresh in-memory cache. */
  cache?: ResponseCache;
  /** Default: a fresh accounting; pass one to share it between clients. */
  accounting?: LlmAccounting;
  /** Called synchronously for each event; must not throw. */
  onEvent?: LlmEventListener;
  /** Backoff when the server gives no Retry-After. Default 500 ms doubling up to 30 s, with jitter. */
  backoff?: BackoffPolicy;
  /** Overall deadline per call in ms (queueing, attempts and waits); none by default. A request's `deadlineMs` overrides it. */
  deadlineMs?: number;
  /** How retry waits are slept; tests substitute one that records the waits. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Wall clock, only used to read an HTTP-date Retry-After. */
  now?: () => number;
  /**
   * How long a cross-process claim on a request outlives its owner's last renewal, for caches that
   * offer claims: a replica that dies mid-call delays the others' identical request by at most this.
   * Default 10 s; a run sets half its work queue's ack wait (5 s by default), so a dead worker's claims
   * are gone before its tasks are redelivered, and long enough that a busy owner renews in time (every third).
   */
  claimTtlMs?: number;
  /** Calls in flight at once over all endpoints (the spec's `concurrency.maxInFlight`), in this process; unbounded by default. */
  maxInFlight?: number;
  /**
   * Where endpoints' `concurrency` and `maxInFlight` are counted. Default: this process's
   * (processConcurrency), shared by every client in it, so a sweep's runs in one process share one
   * budget per endpoint (the same id, server, model and key variable) and one maxInFlight, taking
   * turns fairly. Pass `new SharedConcurrency()` for limits of this client's own.
   */
  sharedConcurrency?: SharedConcurrency;
  /**
   * Where endpoints' `rateLimit`s are kept: the cluster's (KV) to share them between processes.
   * Default: this process's limiter (processRateLimiter), shared by every client in it.
   */
  rateLimiter?: RateLimiter;
  /** The run's spend ledger: every served attempt is settled in it, and its budget reserved before each. None by default. */
  ledger?: SpendLedger;
}

const DEFAULT_CLAIM_TTL_MS = 10_000;

interface EndpointRuntime {
  endpoint: LlmEndpoint;
  sdk: OpenAI;
  /** The key its concurrency is counted under in the shared limits (no secret in it). */
  slotKey: string;
  /** The key value, kept only to scrub it from any server text we repeat. */
  secret: string | undefined;
  /** The identity the endpoint's rate limit is counted under (no secret in it). */
  rateKey: string;
}

/** What an attempt holds while it is sent: its rate-limit grant and its budget reservation, each settled once it ends. */
interface AttemptGate {
  rate: RateGrant | undefined;
  spend: SpendReservation | undefined;
}

/** Progress of one shared call, read when a waiter gives up to say how far it got. */
interface FlightState {
  attempts: number;
  lastFailure: AttemptFailure | undefined;
  /** Whether the flight was waiting for another process's identical call. */
  waitingOnClaim: boolean;
}

interface FlightOutcome {
  source: "cache" | "network";
  completion: CachedCompletion;
  /** Attempts that failed (and were retried) before this answer came over the network. */
  failedAttempts: number;
}

type AttemptOutcome = { ok: true; completion: CachedCompletion } | { ok: false; failure: AttemptFailure };

/** Why a waiter's signal aborted. */
class DeadlinePassed {
  constructor(readonly deadlineMs: number) {}
}
class CallerAborted {
  constructor(readonly reason: unknown) {}
}

const chatCompletionResponseSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullish() }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z.object({ prompt_tokens: z.int().nonnegative(), completion_tokens: z.int().nonnegative() }).nullish(),
});

const tuningSchema = z.object({
  backoff: z
    .object({ baseMs: z.number().nonnegative(), maxMs: z.number().nonnegative(), maxRetryAfterMs: z.number().nonnegative().optional() })
    .optional(),
  deadlineMs: z.int().positive().optional(),
  claimTtlMs: z.int().positive().max(MAX_CLAIM_TTL_MS).optional(),
  maxInFlight: z.int().positive().optional(),
});

export class LlmClient implements LlmCaller {
  readonly accounting: LlmAccounting;
  readonly cache: ResponseCache;
  private readonly runtimes = new Map<string, EndpointRuntime>();
  private readonly flights = new SingleFlight<FlightOutcome, FlightState>();
  private readonly onEvent: LlmEventListener | undefined;
  private readonly backoff: BackoffPolicy;
  private readonly deadlineMs: number | undefined;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly now: () => number;
  private readonly claimTtlMs: number;
  /** Over all endpoints (maxInFlight); taken inside an endpoint's own slot, so a saturated endpoint never holds it while queueing. */
  private readonly maxInFlight: number;
  private readonly slots: SharedConcurrency;
  private readonly rateLimiter: RateLimiter;
  private readonly ledger: SpendLedger | undefined;

  constructor(options: LlmClientOptions) {
    const tuningInput = {
      backoff: options.backoff,
      deadlineMs: options.deadlineMs,
      claimTtlMs: options.claimTtlMs,
      maxInFlight: options.maxInFlight,
    };
    const tuning = tuningSchema.safeParse(tuningInput);
    if (!tuning.success) throw new ValidationError("LLM client options", issuesFromZod(tuning.error, tuningInput));
    const endpoints = parseLlmEndpoints(options.endpoints);
    const connections = resolveConnections(endpoints, options.env ?? process.env, options.fetchFor);
    for (const endpoint of endpoints) {
      const conn = connections.get(endpoint.id);
      if (!conn) continue; // resolveConnections throws unless every endpoint resolved
      const sdk = new OpenAI({
        apiKey: conn.apiKey,
        baseURL: conn.baseURL,
        ...(conn.fetch && { fetch: conn.fetch }),
        maxRetries: 0,
        timeout: endpoint.timeoutMs,
        // Only the endpoint's declared key leaves the process: not ambient OPENAI_* credentials or ids.
        adminAPIKey: null,
        organization: null,
        project: null,
        webhookSecret: null,
      });
      const secret = endpoint.apiKeyEnv !== undefined ? conn.apiKey : undefined;
      this.runtimes.set(endpoint.id, { endpoint, sdk, slotKey: endpointSlotKey(endpoint), secret, rateKey: rateLimitKey(endpoint) });
    }
    this.accounting = options.accounting ?? new LlmAccounting();
    this.cache = options.cache ?? new MemoryResponseCache();
    this.onEvent = options.onEvent;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.deadlineMs = options.deadlineMs;
    this.sleep = options.sleep ?? abortableSleep;
    this.now = options.now ?? Date.now;
    this.claimTtlMs = options.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS;
    this.maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
    this.slots = options.sharedConcurrency ?? processConcurrency();
    this.rateLimiter = options.rateLimiter ?? processRateLimiter();
    this.ledger = options.ledger;
  }

  /** Endpoint ids this client serves, in declaration order. */
  get endpointIds(): string[] {
    return [...this.runtimes.keys()];
  }

  /** Preflight: one uncached, unaccounted call to the endpoint, its failure classified and explained. */
  async probe(endpointId: string): Promise<EndpointProbe> {
    const rt = this.runtimes.get(endpointId);
    if (!rt) {
      throw new ValidationError("LLM probe", [
        {
          path: "endpointId",
          expected: `one of the declared endpoints (${this.endpointIds.join(", ")})`,
          found: JSON.stringify(endpointId),
        },
      ]);
    }
    // A probe is a request like any other to the endpoint's concurrency and rate limit (it is never budgeted).
    return this.slots.run(rt.slotKey, rt.endpoint.concurrency, this, () =>
      this.slots.run(ALL_ENDPOINTS_SLOT_KEY, this.maxInFlight, this, async () => {
        const grant = await this.rateGrant(rt, { messages: [{ content: PROBE_PROMPT }] }, new AbortController().signal);
        try {
          return await probeEndpoint({
            endpoint: rt.endpoint,
            sdk: rt.sdk,
            scrub: (text) => scrub(text, rt.secret),
            sleep: (ms) => this.sleep(ms, new AbortController().signal),
          });
        } finally {
          await grant?.settle(0);
        }
      }),
    );
  }

  async complete(request: LlmCompletionRequest): Promise<LlmCompletion> {
    validateCompletionRequest(request);
    const rt = this.runtimes.get(request.endpointId);
    if (!rt) {
      throw new ValidationError("LLM request", [
        {
          path: "endpointId",
          expected: `one of the declared endpoints (${this.endpointIds.join(", ")})`,
          found: JSON.stringify(request.endpointId),
        },
      ]);
    }
    const { endpoint } = rt;
    // The endpoint's maxOutputTokens bounds a call that states none: it is sent, so it is in the key.
    if (request.maxTokens === undefined && endpoint.maxOutputTokens !== undefined)
      request = { ...request, maxTokens: endpoint.maxOutputTokens };
    const key = completionCacheKey(endpoint, request);
    const base = { endpointId: endpoint.id, model: endpoint.model, role: request.role, cacheKey: key };
    const waiter = this.waiterSignal(request);
    try {
      const { value, joined } = await this.flights.run(
        key,
        (): FlightState => ({ attempts: 0, lastFailure: undefined, waitingOnClaim: false }),
        (state, signal) => this.lookupOrCall(rt, request, key, state, signal),
        waiter.signal,
      );
      // An answer a process that died after the run's last checkpoint paid for: counted now, once, as the call it was.
      const unpaid = value.source === "cache" && this.cache.takeUnpaid?.(key) === true;
      if (unpaid) await this.countUnpaid(endpoint, request.role, value.completion.usage);
      const cached = !unpaid && (joined || value.source === "cache");
      if (cached) {
        this.accounting.recordCacheHit(endpoint, request.role);
        this.emit({ ...base, type: "cache-hit", source: joined ? "in-flight" : "cache" });
      }
      const { content, finishReason, usage } = value.completion;
      return {
        content,
        finishReason,
        usage: { ...usage },
        cached,
        cacheKey: key,
        ...(!cached && value.failedAttempts > 0 ? { failedAttempts: value.failedAttempts } : {}),
      };
    } catch (err) {
      const error = err instanceof FlightLeft ? this.leftError(rt, err as FlightLeft<FlightState>) : err;
      this.emit({
        ...base,
        type: "call-failed",
        attempts: error instanceof LlmError ? error.details.attempts : 0,
        code: failureCode(error),
      });
      throw error;
    } finally {
      waiter.dispose();
    }
  }

  /** The signal a caller waits under: its own signal, plus its deadline. */
  private waiterSignal(request: LlmCompletionRequest): { signal: AbortSignal; dispose: () => void } {
    const controller = new AbortController();
    const deadlineMs = request.deadlineMs ?? this.deadlineMs;
    const timer = deadlineMs !== undefined ? setTimeout(() => controller.abort(new DeadlinePassed(deadlineMs)), deadlineMs) : undefined;
    const callerSignal = request.signal;
    const onCallerAbort = () => controller.abort(new CallerAborted(callerSignal?.reason));
    if (callerSignal?.aborted) onCallerAbort();
    else callerSignal?.addEventListener("abort", onCallerAbort, { once: true });
    return {
      signal: controller.signal,
      dispose: () => {
        clearTimeout(timer);
        callerSignal?.removeEventListener("abort", onCallerAbort);
      },
    };
  }

  private async lookupOrCall(
    rt: EndpointRuntime,
    request: LlmCompletionRequest,
    key: string,
    state: FlightState,
    signal: AbortSignal,
  ): Promise<FlightOutcome> {
    for (;;) {
      const hit = await this.cache.get(key);
      if (hit) return { source: "cache", completion: hit, failedAttempts: 0 };
      if (!this.cache.claim) return this.callAndStore(rt, request, key, state, signal);
      const claim = await this.cache.claim(key, this.claimTtlMs);
      if (claim.owner) {
        try {
          // Another process may have stored the value between our miss and our claim.
          const late = await this.cache.get(key);
          if (late) return { source: "cache", completion: late, failedAttempts: 0 };
          return await this.callAndStore(rt, request, key, state, signal);
        } finally {
          await claim.release();
        }
      }
      state.waitingOnClaim = true;
      const value = await claim.wait(signal);
      state.waitingOnClaim = false;
      if (value) return { source: "cache", completion: value, failedAttempts: 0 };
      // The claim ended without a value (its owner failed or died): start over from the lookup.
    }
  }

  private async callAndStore(
    rt: EndpointRuntime,
    request: LlmCompletionRequest,
    key: string,
    state: FlightState,
    signal: AbortSignal,
  ): Promise<FlightOutcome> {
    const completion = await this.callWithRetries(rt, request, key, state, signal);
    await this.cache.set(key, completion);
    return { source: "network", completion, failedAttempts: Math.max(0, state.attempts - 1) };
  }

  private async callWithRetries(
    rt: EndpointRuntime,
    request: LlmCompletionRequest,
    key: string,
    state: FlightState,
    signal: AbortSignal,
  ): Promise<CachedCompletion> {
    const { endpoint } = rt;
    const role = request.role;
    const base = { endpointId: endpoint.id, model: endpoint.model, role, cacheKey: key };
    const body = chatCompletionBody(endpoint.model, request);
    for (let attempt = 1; ; attempt++) {
      const { outcome, gate } = await this.slots.run(rt.slotKey, endpoint.concurrency, this, async () => {
        // The budget first, outside the client-wide slot: a wait for it holds back no other endpoint.
        const gate: AttemptGate = { rate: undefined, spend: await this.reserve(rt, request, signal) };
        try {
          const result = await this.slots.run(ALL_ENDPOINTS_SLOT_KEY, this.maxInFlight, this, async () => {
            // A waiter may have left while this attempt queued for a slot.
            if (signal.aborted) throw signal.reason;
            // The rate limit's grant last, so the request is sent the moment it is granted.
            gate.rate = await this.rateGrant(rt, request, signal);
            state.attempts = attempt;
            this.emit({ ...base, type: "call-started", attempt });
            return this.timedAttempt(rt, body, attempt, signal, base);
          });
          return { outcome: result, gate };
        } catch (err) {
          // Aborted (or a bug) before or during the attempt: nothing was served that we know of.
          await settleGate(gate, { ok: false, retried: false }, 0);
          throw err;
        }
      });
      if (outcome.ok) {
        const { usage, finishReason } = outcome.completion;
        const costUsd = callCostUsd(endpoint.price, usage.promptTokens, usage.completionTokens);
        await settleGate(gate, { ok: true, ...usage, costUsd }, usage.promptTokens + usage.completionTokens);
        this.accounting.recordCall(endpoint, role, usage);
        this.emit({
          ...base,
          type: "call-finished",
          attempt,
          promptTokens: usage.promptTokens,
          completionTokens: usage.completionTokens,
          costUsd: callCostUsd(endpoint.price, usage.promptTokens, usage.completionTokens),
          finishReason,
        });
        return outcome.completion;
      }
      const failure = outcome.failure;
      state.lastFailure = failure;
      const retried = failure.retryable && attempt <= endpoint.maxRetries && !retryAfterTooLong(failure, this.backoff);
      await settleGate(gate, { ok: false, retried }, 0);
      this.accounting.recordFailedAttempt(endpoint, role);
      if (!failure.retryable) throw this.finalError("E_LLM_HTTP", rt, attempt, failure);
      if (attempt > endpoint.maxRetries) throw this.finalError(exhaustedCode(failure), rt, attempt, failure);
      if (retryAfterTooLong(failure, this.backoff)) {
        const why = `the server's wait exceeds maxRetryAfterMs (${maxRetryAfterMs(this.backoff)})`;
        throw this.finalError(exhaustedCode(failure), rt, attempt, failure, why);
      }
      const delayMs = retryDelayMs(failure, attempt, this.backoff, key);
      this.accounting.recordRetry(endpoint, role);
      this.emit({
        ...base,
        type: "call-retried",
        attempt,
        reason: failure.kind,
        status: failure.status,
        delayMs,
        serverRequested: failure.retryAfterMs !== undefined,
      });
      await this.sleep(delayMs, signal);
    }
  }

  private async countUnpaid(endpoint: LlmEndpoint, role: LlmRole, usage: CachedCompletion["usage"]): Promise<void> {
    const costUsd = callCostUsd(endpoint.price, usage.promptTokens, usage.completionTokens);
    await this.ledger?.recordServed?.({ endpointId: endpoint.id, model: endpoint.model, role }, { ok: true, ...usage, costUsd });
    this.accounting.recordCall(endpoint, role, usage);
  }

  /** Before an attempt: its worst-case cost reserved in the run's ledger, if there is one. Throws BudgetSpentError once the budget is spent. */
  private async reserve(rt: EndpointRuntime, request: LlmCompletionRequest, signal: AbortSignal): Promise<SpendReservation | undefined> {
    if (!this.ledger) return undefined;
    const { endpoint } = rt;
    const charge = worstCaseCost(endpoint.price, request.messages, request.maxTokens ?? DEFAULT_RESERVED_OUTPUT_TOKENS);
    const who = { endpointId: endpoint.id, model: endpoint.model, role: request.role };
    return this.ledger.reserve(who, charge, endpoint.timeoutMs + RESERVATION_GRACE_MS, signal);
  }

  /** Before an attempt: a grant of the endpoint's rate limit, if it has one (waits until the request fits). */
  private async rateGrant(
    rt: EndpointRuntime,
    request: { messages: readonly { content: string }[]; maxTokens?: number | undefined },
    signal: AbortSignal,
  ): Promise<RateGrant | undefined> {
    const limits = rt.endpoint.rateLimit;
    if (!limits || (limits.rpm === undefined && limits.tpm === undefined)) return undefined;
    return this.rateLimiter.acquire(rt.rateKey, limits, estimateTokens(request.messages, request.maxTokens), signal);
  }

  /** One attempt, reported as ended (with its duration and outcome) however it ends. */
  private async timedAttempt(
    rt: EndpointRuntime,
    body: ChatCompletionBody,
    attempt: number,
    signal: AbortSignal,
    base: { endpointId: string; model: string; role: LlmRole; cacheKey: string },
  ): Promise<AttemptOutcome> {
    const started = performance.now();
    let outcome: AttemptOutcomeLabel = "aborted";
    try {
      const result = await this.attemptOnce(rt, body, attempt, signal);
      outcome = result.ok ? "ok" : result.failure.kind;
      return result;
    } finally {
      this.emit({ ...base, type: "attempt-ended", attempt, durationMs: performance.now() - started, outcome });
    }
  }

  /** One HTTP attempt under the endpoint's timeout. Transport trouble is returned; only bugs and aborts throw. */
  private async attemptOnce(rt: EndpointRuntime, body: ChatCompletionBody, attempt: number, signal: AbortSignal): Promise<AttemptOutcome> {
    const { endpoint } = rt;
    const controller = new AbortController();
    let timedOut = false;
    // Our own timer, not only the SDK's: the SDK's stops at the response headers, ours also covers the body.
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, endpoint.timeoutMs);
    const relay = () => controller.abort(signal.reason);
    signal.addEventListener("abort", relay, { once: true });
    try {
      const raw: unknown = await rt.sdk.chat.completions.create(body, {
        signal: controller.signal,
        timeout: endpoint.timeoutMs,
        maxRetries: 0,
      });
      return completionFromResponse(raw);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (timedOut) {
        return {
          ok: false,
          failure: { kind: "timeout", retryable: true, message: `no complete response within ${endpoint.timeoutMs} ms` },
        };
      }
      const failure = failureFromSdkError(err, this.now());
      if (!failure) {
        const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        throw new LlmError(
          "E_LLM_UNEXPECTED",
          `LLM call to endpoint '${endpoint.id}' (model ${endpoint.model}) failed unexpectedly: ${scrub(message, rt.secret)}`,
          { endpointId: endpoint.id, model: endpoint.model, attempts: attempt, retryable: false },
          // The raw error may quote a server's reply; keep it only when no key could be in it.
          rt.secret === undefined ? { cause: err } : undefined,
        );
      }
      return { ok: false, failure: { ...failure, message: scrub(failure.message, rt.secret) } };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", relay);
    }
  }

  private finalError(code: LlmErrorCode, rt: EndpointRuntime, attempts: number, failure: AttemptFailure, why?: string): LlmError {
    const { endpoint } = rt;
    const what =
      code === "E_LLM_HTTP"
        ? `was refused and will not be retried`
        : `failed after ${attempts} attempt${attempts === 1 ? "" : "s"} (maxRetries ${endpoint.maxRetries}${why ? `; ${why}` : ""})`;
    return new LlmError(
      code,
      `LLM call to endpoint '${endpoint.id}' (model ${endpoint.model}) ${what}; last cause: ${describeFailure(failure)}. ${hintFor(failure, endpoint)}`,
      { endpointId: endpoint.id, model: endpoint.model, attempts, status: failure.status, retryable: code !== "E_LLM_HTTP" },
    );
  }

  private leftError(rt: EndpointRuntime, left: FlightLeft<FlightState>): LlmError {
    const { endpoint } = rt;
    const { attempts, lastFailure, waitingOnClaim } = left.state;
    const progress = waitingOnClaim
      ? `while waiting for another process's identical call`
      : `after ${attempts} attempt${attempts === 1 ? "" : "s"}${lastFailure ? `; last cause: ${describeFailure(lastFailure)}` : ""}`;
    const details = { endpointId: endpoint.id, model: endpoint.model, attempts, status: lastFailure?.status };
    if (left.reason instanceof DeadlinePassed) {
      return new LlmError(
        "E_LLM_DEADLINE",
        `LLM call to endpoint '${endpoint.id}' (model ${endpoint.model}) missed its ${left.reason.deadlineMs} ms deadline ${progress}. Raise the deadline, or lower load on the endpoint.`,
        { ...details, retryable: true },
      );
    }
    const reason = left.reason instanceof CallerAborted ? left.reason.reason : left.reason;
    return new LlmError(
      "E_LLM_ABORTED",
      `LLM call to endpoint '${endpoint.id}' (model ${endpoint.model}) was aborted by its caller ${progress}.`,
      { ...details, retryable: false },
      { cause: reason },
    );
  }

  private emit(event: LlmEvent): void {
    this.onEvent?.(event);
  }
}

/** Ends an attempt's hold on the rate limit (with the tokens it used) and on the budget (with how it ended). */
async function settleGate(gate: AttemptGate, outcome: Parameters<SpendReservation["settle"]>[0], tokens: number): Promise<void> {
  await gate.rate?.settle(tokens);
  await gate.spend?.settle(outcome);
}

function completionFromResponse(raw: unknown): AttemptOutcome {
  const parsed = chatCompletionResponseSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? `${first.path.join(".") || "(root)"}: ${first.message}` : "invalid";
    return { ok: false, failure: { kind: "malformed", retryable: true, message: `response is not a chat completion (${where})` } };
  }
  const choice = parsed.data.choices[0];
  const usage = parsed.data.usage;
  return {
    ok: true,
    completion: {
      content: choice?.message.content ?? "",
      finishReason: choice?.finish_reason ?? "unknown",
      // A server that reports no usage is counted as free rather than refused.
      usage: { promptTokens: usage?.prompt_tokens ?? 0, completionTokens: usage?.completion_tokens ?? 0 },
    },
  };
}

function exhaustedCode(failure: AttemptFailure): LlmErrorCode {
  if (failure.kind === "rate-limited") return "E_LLM_RATE_LIMITED";
  if (failure.kind === "timeout") return "E_LLM_TIMEOUT";
  return "E_LLM_EXHAUSTED";
}

function describeFailure(failure: AttemptFailure): string {
  const status = failure.status !== undefined && !failure.message.startsWith(String(failure.status)) ? `HTTP ${failure.status} ` : "";
  const wait = failure.retryAfterMs !== undefined ? ` (server asked to wait ${failure.retryAfterMs} ms)` : "";
  return `${failure.kind}: ${status}${failure.message}${wait}`;
}

function hintFor(failure: AttemptFailure, endpoint: LlmEndpoint): string {
  switch (failure.kind) {
    case "rate-limited":
      return `Lower the endpoint's concurrency (${endpoint.concurrency}) or raise its maxRetries.`;
    case "timeout":
      return `Raise the endpoint's timeoutMs (${endpoint.timeoutMs}) if the model is just slow.`;
    case "server":
    case "connection":
      return `Check that ${endpoint.baseURL} is up and reachable.`;
    case "malformed":
      return `The server at ${endpoint.baseURL} does not answer like an OpenAI-compatible chat completions API.`;
    case "http":
      if (failure.status === 401 || failure.status === 403) {
        return endpoint.apiKeyEnv !== undefined
          ? `Check the API key in ${endpoint.apiKeyEnv}.`
          : `The endpoint needs a key: set apiKeyEnv to the variable holding it.`;
      }
      if (failure.status === 404) return `Check the endpoint's baseURL (${endpoint.baseURL}) and model name (${endpoint.model}).`;
      return `Check the request parameters the endpoint accepts.`;
  }
}

function failureCode(err: unknown): LlmErrorCode | "E_LLM_CACHE" | "unexpected" {
  if (err instanceof LlmError) return err.code;
  if (err instanceof ResponseCacheError) return "E_LLM_CACHE";
  return "unexpected";
}

function scrub(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join("[redacted]") : text;
}

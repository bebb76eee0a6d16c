/**
 * Service realism: the ways a real LLM endpoint is slow or fails (latency, a concurrency cap, injected
 * 429/500/timeouts/malformed bodies), as plain configuration plus pure decisions. All of it is off by
 * default. Whether a request fails is a function of (fault seed, request digest, attempt number), never
 * of the clock, so a failing run replays the same failures.
 */
import { Rng, ValidationError, issuesFromZod } from "@maspo/core";
import { z } from "zod";

const rate = z.number().min(0).max(1);
const nonNegativeMs = z.number().min(0);

export const ServiceRealismSchema = z
  .object({
    latency: z
      .object({
        /** Paid by every reply before its first byte. */
        fixedMs: nonNegativeMs.default(0),
        /** Paid per completion token (spread over the chunks when streaming). */
        perOutputTokenMs: nonNegativeMs.default(0),
      })
      .strict()
      .default({ fixedMs: 0, perOutputTokenMs: 0 }),
    /** Chat completions in flight at once; one more is answered 429. Absent: unlimited. */
    maxConcurrency: z.number().int().min(1).optional(),
    /** What 429 replies ask the client to wait (`retry-after-ms`; `Retry-After` in whole seconds). */
    retryAfterMs: nonNegativeMs.default(1000),
    faults: z
      .object({
        rate429: rate.default(0),
        rate500: rate.default(0),
        /** The reply never comes: the request is held until the client gives up. */
        rateTimeout: rate.default(0),
        /** 200 with a truncated or non-JSON body. */
        rateMalformed: rate.default(0),
        seed: z.number().int().default(0),
        /** After this many faulted attempts of one request body, the next attempt gets through. */
        maxPerRequest: z.number().int().min(0).default(3),
      })
      .strict()
      .refine((f) => f.rate429 + f.rate500 + f.rateTimeout + f.rateMalformed <= 1, {
        message: "the four fault rates must sum to at most 1",
      })
      .default({ rate429: 0, rate500: 0, rateTimeout: 0, rateMalformed: 0, seed: 0, maxPerRequest: 3 }),
  })
  .strict();

export type ServiceRealism = z.infer<typeof ServiceRealismSchema>;
/** What a user may write: every field optional. */
export type ServiceRealismInput = z.input<typeof ServiceRealismSchema>;

export const NO_REALISM: ServiceRealism = ServiceRealismSchema.parse({});

/** Validate a realism block (from a world's `service:` block, flags or code), naming every bad field. */
export function parseServiceRealism(input: unknown, source = "service realism"): ServiceRealism {
  const parsed = ServiceRealismSchema.safeParse(input ?? {});
  if (!parsed.success) throw new ValidationError(source, issuesFromZod(parsed.error, input));
  return parsed.data;
}

/** A flat override (one per command flag) applied on top of a base block; undefined fields keep the base. */
export interface ServiceRealismOverrides {
  latencyMs?: number | undefined;
  latencyPerTokenMs?: number | undefined;
  maxConcurrency?: number | undefined;
  retryAfterMs?: number | undefined;
  fault429?: number | undefined;
  fault500?: number | undefined;
  faultTimeout?: number | undefined;
  faultMalformed?: number | undefined;
  faultSeed?: number | undefined;
}

/** Merge flag overrides into a (validated) base and validate the result. */
export function applyRealismOverrides(base: ServiceRealism, o: ServiceRealismOverrides, source = "service realism flags"): ServiceRealism {
  const pick = <T>(override: T | undefined, value: T): T => (override === undefined ? value : override);
  return parseServiceRealism(
    {
      latency: {
        fixedMs: pick(o.latencyMs, base.latency.fixedMs),
        perOutputTokenMs: pick(o.latencyPerTokenMs, base.latency.perOutputTokenMs),
      },
      ...(o.maxConcurrency !== undefined || base.maxConcurrency !== undefined
        ? { maxConcurrency: pick(o.maxConcurrency, base.maxConcurrency) }
        : {}),
      retryAfterMs: pick(o.retryAfterMs, base.retryAfterMs),
      faults: {
        rate429: pick(o.fault429, base.faults.rate429),
        rate500: pick(o.fault500, base.faults.rate500),
        rateTimeout: pick(o.faultTimeout, base.faults.rateTimeout),
        rateMalformed: pick(o.faultMalformed, base.faults.rateMalformed),
        seed: pick(o.faultSeed, base.faults.seed),
        maxPerRequest: base.faults.maxPerRequest,
      },
    },
    source,
  );
}

export type FaultKind = "429" | "500" | "timeout" | "malformed";

export function faultsEnabled(realism: ServiceRealism): boolean {
  const f = realism.faults;
  return f.rate429 + f.rate500 + f.rateTimeout + f.rateMalformed > 0;
}

/**
 * The fault (if any) for the `attempt`-th arrival (1-based) of the request with this digest. One
 * uniform draw is split into the four rates, so each kind occurs at its own rate.
 */
export function decideFault(realism: ServiceRealism, digest: string, attempt: number): FaultKind | null {
  const f = realism.faults;
  if (!faultsEnabled(realism) || attempt > f.maxPerRequest) return null;
  const u = Rng.derive(f.seed, "simlm-fault", digest, attempt).next();
  let edge = f.rate429;
  if (u < edge) return "429";
  edge += f.rate500;
  if (u < edge) return "500";
  edge += f.rateTimeout;
  if (u < edge) return "timeout";
  edge += f.rateMalformed;
  if (u < edge) return "malformed";
  return null;
}

/**
 * A broken body for a malformed-reply fault: half the time the real body cut short (a dropped
 * connection), otherwise a proxy's non-JSON error page served as 200.
 */
export function malformBody(body: string, realism: ServiceRealism, digest: string, attempt: number): string {
  const rng = Rng.derive(realism.faults.seed, "simlm-malformed", digest, attempt);
  if (rng.bool(0.5) && body.length > 1) return body.slice(0, 1 + rng.int(body.length - 1));
  return "<html><body><h1>502 Bad Gateway</h1>upstream closed the connection</body></html>";
}

/** The delay before a whole (non-streamed) reply with this many completion tokens. */
export function replyLatencyMs(realism: ServiceRealism, completionTokens: number): number {
  return realism.latency.fixedMs + realism.latency.perOutputTokenMs * completionTokens;
}

/** `Retry-After` (whole seconds, as HTTP defines it) and `retry-after-ms` (what the openai SDK prefers). */
export function retryAfterHeaders(realism: ServiceRealism): Record<string, string> {
  return {
    "retry-after": String(Math.ceil(realism.retryAfterMs / 1000)),
    "retry-after-ms": String(realism.retryAfterMs),
  };
}

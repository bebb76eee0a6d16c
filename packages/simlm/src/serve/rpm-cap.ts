/**
 * An optional requests-per-minute cap on simlm's HTTP server, per model as providers count it: a
 * chat completion beyond `rpm` in the last 60 s (a sliding window, the strictest reading of "per
 * minute") is answered 429 with Retry-After, the wait until the oldest counted request leaves the
 * window. Off unless asked for; the worlds' answers are untouched. It counts what it admitted and
 * refused, which the server's stats endpoint reports, so a test can say how many 429s a run met.
 */
import { z } from "zod";

export const RPM_WINDOW_MS = 60_000;

export const RpmCapStatsSchema = z.object({
  rpm: z.int().positive(),
  /** Chat completions admitted, per model. */
  admitted: z.record(z.string(), z.int().nonnegative()),
  /** Chat completions refused with 429 by the cap, per model. */
  rateLimited: z.record(z.string(), z.int().nonnegative()),
  /** The most admitted in any 60 s so far, per model. */
  busiestMinute: z.record(z.string(), z.int().nonnegative()),
});
export type RpmCapStats = z.infer<typeof RpmCapStatsSchema>;

export class RpmCap {
  private readonly recent = new Map<string, number[]>();
  private readonly admitted = new Map<string, number>();
  private readonly refused = new Map<string, number>();
  private readonly busiest = new Map<string, number>();

  constructor(
    readonly rpm: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(rpm) || rpm < 1) throw new RangeError(`rpm must be a whole number of at least 1, not ${rpm}`);
  }

  /** Counts a request for `model` now: admitted, or refused with the wait until one fits. */
  admit(model: string): { ok: true } | { ok: false; retryAfterMs: number } {
    const now = this.now();
    const times = (this.recent.get(model) ?? []).filter((t) => t > now - RPM_WINDOW_MS);
    this.recent.set(model, times);
    if (times.length >= this.rpm) {
      this.refused.set(model, (this.refused.get(model) ?? 0) + 1);
      return { ok: false, retryAfterMs: Math.max(1, (times[0] as number) + RPM_WINDOW_MS - now) };
    }
    times.push(now);
    this.admitted.set(model, (this.admitted.get(model) ?? 0) + 1);
    this.busiest.set(model, Math.max(this.busiest.get(model) ?? 0, times.length));
    return { ok: true };
  }

  stats(): RpmCapStats {
    return {
      rpm: this.rpm,
      admitted: Object.fromEntries(this.admitted),
      rateLimited: Object.fromEntries(this.refused),
      busiestMinute: Object.fromEntries(this.busiest),
    };
  }
}

/** The model a chat completion body asks for, or undefined when the body is not one (the service then answers it). */
export function requestedModel(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const model = parsed !== null && typeof parsed === "object" ? (parsed as { model?: unknown }).model : undefined;
    return typeof model === "string" ? model : undefined;
  } catch {
    return undefined;
  }
}

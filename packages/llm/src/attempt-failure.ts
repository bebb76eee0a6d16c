/**
 * What went wrong with one HTTP attempt, reduced from the `openai` SDK's error classes to the facts
 * the retry loop decides on: the kind of failure, its status, whether the server said when to come
 * back, and whether trying again can help.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";

export type FailureKind =
  /** 429. */
  | "rate-limited"
  /** 5xx. */
  | "server"
  /** No answer within the attempt timeout (or the server said 408). */
  | "timeout"
  /** No HTTP response at all: refused, reset, DNS. */
  | "connection"
  /** An answer that is not a chat completion: truncated or malformed JSON, wrong shape. */
  | "malformed"
  /** A status retrying will not change: 400, 401, 403, 404, 422... */
  | "http";

/** Every failure kind, e.g. to start a counter per kind at 0. */
export const FAILURE_KINDS = [
  "rate-limited",
  "server",
  "timeout",
  "connection",
  "malformed",
  "http",
] as const satisfies readonly FailureKind[];
// Fails to compile when a kind is added to FailureKind and not here.
const _everyKind: Record<Exclude<FailureKind, (typeof FAILURE_KINDS)[number]>, never> = {};
void _everyKind;

export interface AttemptFailure {
  kind: FailureKind;
  status?: number | undefined;
  /** How long the server asked us to wait (Retry-After / retry-after-ms), when it did. */
  retryAfterMs?: number | undefined;
  retryable: boolean;
  message: string;
}

/**
 * Classify an error thrown by `chat.completions.create`. Returns undefined for errors that are not
 * about the remote call (a bug, not weather) and for aborts, which the caller attributes itself.
 * `nowMs` only serves to read an HTTP-date Retry-After.
 */
export function failureFromSdkError(err: unknown, nowMs: number): AttemptFailure | undefined {
  if (err instanceof APIUserAbortError) return undefined;
  if (err instanceof APIConnectionTimeoutError) return { kind: "timeout", retryable: true, message: err.message };
  if (err instanceof APIConnectionError) return { kind: "connection", retryable: true, message: withCauses(err) };
  if (err instanceof APIError && typeof err.status === "number") {
    const status = err.status;
    const headers = err.headers;
    const kind: FailureKind = status === 429 ? "rate-limited" : status === 408 ? "timeout" : status >= 500 ? "server" : "http";
    // The server's explicit x-should-retry beats our reading of the status, as in the SDK's own policy.
    const override = headers?.get("x-should-retry");
    const retryable = override === "true" ? true : override === "false" ? false : kind !== "http";
    return {
      kind,
      status,
      retryAfterMs: headers ? retryAfterMs(headers, nowMs) : undefined,
      retryable,
      message: err.message,
    };
  }
  // The SDK parses the body with response.json(); a truncated or malformed body surfaces as SyntaxError.
  if (err instanceof SyntaxError) return { kind: "malformed", retryable: true, message: `unparseable response body: ${err.message}` };
  // undici reports a connection dropped mid-body as TypeError("terminated").
  if (err instanceof TypeError && /terminated|fetch failed|socket/i.test(err.message)) {
    return { kind: "connection", retryable: true, message: err.message };
  }
  return undefined;
}

/**
 * The wait a response asks for: `retry-after-ms` (OpenAI's, milliseconds) first, then `Retry-After`
 * in seconds or as an HTTP date. Undefined when absent or unreadable; never negative.
 */
export function retryAfterMs(headers: Headers, nowMs: number): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get("retry-after");
  if (value === null || value.trim() === "") return undefined;
  if (Number.isFinite(Number(value))) return Math.max(0, Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** An error's message followed by its causes' ("Connection error." alone says nothing about why). */
function withCauses(err: Error): string {
  const parts = [err.message];
  let cause: unknown = err.cause;
  for (let depth = 0; depth < 4 && cause !== undefined && cause !== null; depth++) {
    parts.push(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return parts.join(" <- ");
}

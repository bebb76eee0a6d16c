import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { describe, expect, it } from "vitest";
import { failureFromSdkError } from "./attempt-failure.js";

const http = (status: number, headers: Record<string, string> = {}) =>
  APIError.generate(status, { error: { message: `status ${status}` } }, undefined, new Headers(headers));

describe("failureFromSdkError", () => {
  it("retries 429, 408 and 5xx but not other 4xx", () => {
    expect(failureFromSdkError(http(429), 0)).toMatchObject({ kind: "rate-limited", status: 429, retryable: true });
    expect(failureFromSdkError(http(408), 0)).toMatchObject({ kind: "timeout", retryable: true });
    expect(failureFromSdkError(http(502), 0)).toMatchObject({ kind: "server", retryable: true });
    for (const status of [400, 401, 403, 404, 409, 422]) {
      expect(failureFromSdkError(http(status), 0)).toMatchObject({ kind: "http", status, retryable: false });
    }
  });

  it("lets the server's x-should-retry header override the status", () => {
    expect(failureFromSdkError(http(500, { "x-should-retry": "false" }), 0)).toMatchObject({ retryable: false });
    expect(failureFromSdkError(http(409, { "x-should-retry": "true" }), 0)).toMatchObject({ retryable: true });
  });

  it("carries the Retry-After wait of the response", () => {
    expect(failureFromSdkError(http(429, { "retry-after-ms": "20" }), 0)).toMatchObject({ retryAfterMs: 20 });
  });

  it("retries connection failures, SDK timeouts and unparseable bodies", () => {
    expect(failureFromSdkError(new APIConnectionTimeoutError(), 0)).toMatchObject({ kind: "timeout", retryable: true });
    expect(failureFromSdkError(new APIConnectionError({ message: "refused" }), 0)).toMatchObject({ kind: "connection", retryable: true });
    expect(failureFromSdkError(new SyntaxError("Unexpected end of JSON input"), 0)).toMatchObject({ kind: "malformed", retryable: true });
  });

  it("leaves aborts and errors unrelated to the remote call unclassified", () => {
    expect(failureFromSdkError(new APIUserAbortError(), 0)).toBeUndefined();
    expect(failureFromSdkError(new RangeError("bug"), 0)).toBeUndefined();
  });
});

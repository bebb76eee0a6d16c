import { describe, expect, it } from "vitest";
import { retryAfterMs } from "./attempt-failure.js";
import { retryDelayMs } from "./retry-policy.js";

const policy = { baseMs: 200, maxMs: 1000 };

describe("retryAfterMs", () => {
  it("prefers retry-after-ms, then reads Retry-After as seconds or as an HTTP date", () => {
    expect(retryAfterMs(new Headers({ "retry-after-ms": "250", "retry-after": "9" }), 0)).toBe(250);
    expect(retryAfterMs(new Headers({ "retry-after": "1.5" }), 0)).toBe(1500);
    const now = Date.parse("2030-01-01T00:00:00Z");
    expect(retryAfterMs(new Headers({ "retry-after": "Tue, 01 Jan 2030 00:00:10 GMT" }), now)).toBe(10_000);
  });

  it("ignores absent or unreadable values and never returns a negative wait", () => {
    expect(retryAfterMs(new Headers(), 0)).toBeUndefined();
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }), 0)).toBeUndefined();
    expect(retryAfterMs(new Headers({ "retry-after": "-3" }), 0)).toBe(0);
  });
});

describe("retryDelayMs", () => {
  it("obeys the server's wait as given", () => {
    expect(retryDelayMs({ kind: "rate-limited", retryable: true, message: "", retryAfterMs: 1234 }, 5, policy, "k")).toBe(1234);
  });

  it("doubles from the base up to the cap, keeping between half and all of it after jitter", () => {
    const failure = { kind: "server" as const, retryable: true, message: "" };
    const ceilings = [200, 400, 800, 1000, 1000];
    ceilings.forEach((ceiling, i) => {
      const d = retryDelayMs(failure, i + 1, policy, "key-a");
      expect(d).toBeGreaterThanOrEqual(ceiling / 2);
      expect(d).toBeLessThanOrEqual(ceiling);
    });
  });

  it("draws jitter from the request key and attempt: same inputs same wait, different keys spread out", () => {
    const failure = { kind: "server" as const, retryable: true, message: "" };
    expect(retryDelayMs(failure, 2, policy, "key-a")).toBe(retryDelayMs(failure, 2, policy, "key-a"));
    const spread = new Set(Array.from({ length: 20 }, (_, i) => retryDelayMs(failure, 3, policy, `key-${i}`)));
    expect(spread.size).toBeGreaterThan(10);
  });
});

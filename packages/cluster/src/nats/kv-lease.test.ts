import { describe, expect, it } from "vitest";
import { msUntilExpiry, renewalIntervalMs } from "./kv-lease.js";

describe("KV lease timing", () => {
  const lease = { holder: "host:1", expiresAt: 10_000, ttlMs: 3_000 };

  it("counts a lease's remaining life on the reader's clock, zero once expired", () => {
    expect(msUntilExpiry(lease, 8_500)).toBe(1_500);
    expect(msUntilExpiry(lease, 10_000)).toBe(0);
    expect(msUntilExpiry(lease, 12_000)).toBe(0);
  });

  it("never lets a lease stamped by a clock running far ahead live longer than its ttl", () => {
    expect(msUntilExpiry(lease, 1_000)).toBe(3_000);
  });

  it("renews three times per ttl, at least every millisecond", () => {
    expect(renewalIntervalMs(3_000)).toBe(1_000);
    expect(renewalIntervalMs(2)).toBe(1);
  });
});

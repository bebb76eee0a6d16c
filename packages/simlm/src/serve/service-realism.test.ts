import { ValidationError } from "@maspo/core";
import { describe, expect, it } from "vitest";
import {
  applyRealismOverrides,
  decideFault,
  malformBody,
  NO_REALISM,
  parseServiceRealism,
  retryAfterHeaders,
  type FaultKind,
} from "./service-realism.js";

const tenPercentEach = parseServiceRealism({
  faults: { rate429: 0.1, rate500: 0.1, rateTimeout: 0.1, rateMalformed: 0.1, seed: 7 },
});

function faultCounts(realism = tenPercentEach, n = 4000): Record<FaultKind | "none", number> {
  const counts = { "429": 0, "500": 0, timeout: 0, malformed: 0, none: 0 };
  for (let i = 0; i < n; i++) counts[decideFault(realism, `digest-${i}`, 1) ?? "none"]++;
  return counts;
}

describe("service realism", () => {
  it("is off by default: no fault, no latency, no cap", () => {
    expect(NO_REALISM.latency).toEqual({ fixedMs: 0, perOutputTokenMs: 0 });
    expect(NO_REALISM.maxConcurrency).toBeUndefined();
    expect(faultCounts(NO_REALISM, 200).none).toBe(200);
  });

  it("injects each fault kind at roughly its configured rate", () => {
    const counts = faultCounts();
    for (const kind of ["429", "500", "timeout", "malformed"] as const) {
      expect(counts[kind]).toBeGreaterThan(300);
      expect(counts[kind]).toBeLessThan(500);
    }
  });

  it("decides the same fault for the same seed, digest and attempt, and another seed changes the sequence", () => {
    const again = faultCounts(parseServiceRealism({ faults: { ...tenPercentEach.faults } }));
    expect(again).toEqual(faultCounts());
    const reseeded = parseServiceRealism({ faults: { ...tenPercentEach.faults, seed: 8 } });
    const seq = (r: typeof tenPercentEach) => Array.from({ length: 100 }, (_, i) => decideFault(r, `d${i}`, 1));
    expect(seq(reseeded)).not.toEqual(seq(tenPercentEach));
  });

  it("lets a request through once it has been faulted maxPerRequest times", () => {
    const always = parseServiceRealism({ faults: { rate500: 1, maxPerRequest: 2 } });
    expect([1, 2, 3, 4].map((a) => decideFault(always, "x", a))).toEqual(["500", "500", null, null]);
  });

  it("reports every bad realism field with its path", () => {
    let error: unknown;
    try {
      parseServiceRealism({ latency: { fixedMs: -1 }, maxConcurrency: 0, faults: { rate429: 2, bogus: 1 } }, "world.service");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const paths = (error as ValidationError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["latency.fixedMs", "maxConcurrency", "faults.rate429", "faults"]));
    expect((error as ValidationError).message).toContain("world.service");
  });

  it("refuses fault rates that sum past 1", () => {
    expect(() => parseServiceRealism({ faults: { rate429: 0.6, rate500: 0.6 } })).toThrow(/sum to at most 1/);
  });

  it("applies flag overrides on top of a base block and keeps the base where no flag is given", () => {
    const base = parseServiceRealism({ latency: { fixedMs: 5 }, faults: { rate500: 0.2, seed: 3 } });
    const merged = applyRealismOverrides(base, { fault429: 0.1, maxConcurrency: 4 });
    expect(merged.latency.fixedMs).toBe(5);
    expect(merged.maxConcurrency).toBe(4);
    expect(merged.faults).toMatchObject({ rate429: 0.1, rate500: 0.2, seed: 3 });
  });

  it("malforms a body into a strict prefix or a non-JSON page, the same way for the same attempt", () => {
    const body = JSON.stringify({ a: "x".repeat(100) });
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const broken = malformBody(body, tenPercentEach, `d${i}`, 1);
      expect(broken).toBe(malformBody(body, tenPercentEach, `d${i}`, 1));
      expect(broken).not.toBe(body);
      expect(() => JSON.parse(broken) as unknown).toThrow();
      seen.add(body.startsWith(broken) ? "prefix" : "page");
    }
    expect(seen).toEqual(new Set(["prefix", "page"]));
  });

  it("states Retry-After in whole seconds and retry-after-ms exactly", () => {
    expect(retryAfterHeaders(parseServiceRealism({ retryAfterMs: 1500 }))).toEqual({
      "retry-after": "2",
      "retry-after-ms": "1500",
    });
  });
});

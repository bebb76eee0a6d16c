import { describe, expect, it } from "vitest";
import { ValidationError } from "@maspo/core";
import { LlmAccounting, callCostUsd } from "./llm-accounting.js";
import type { LlmEndpoint } from "./llm-endpoint.js";

const ep = (id: string, inputPerMTok: number, outputPerMTok: number): LlmEndpoint => ({
  id,
  baseURL: "http://x.test/v1",
  model: `${id}-model`,
  price: { inputPerMTok, outputPerMTok },
  concurrency: 1,
  timeoutMs: 1000,
  maxRetries: 0,
});

describe("LlmAccounting", () => {
  it("prices tokens per million at the endpoint's input and output rates", () => {
    expect(callCostUsd({ inputPerMTok: 3, outputPerMTok: 15 }, 2_000_000, 100_000)).toBeCloseTo(6 + 1.5, 12);
  });

  it("keeps separate rows per model and role and totals them, with filters", () => {
    const acc = new LlmAccounting();
    const a = ep("a", 1, 2);
    acc.recordCall(a, "serving", { promptTokens: 100, completionTokens: 10 });
    acc.recordCall(a, "optimizer", { promptTokens: 200, completionTokens: 20 });
    acc.recordFailedAttempt(a, "optimizer");
    acc.recordRetry(a, "optimizer");
    acc.recordCacheHit(a, "serving");
    expect(acc.snapshot().rows.map((r) => r.role)).toEqual(["optimizer", "serving"]);
    expect(acc.totals({ role: "optimizer" })).toMatchObject({ calls: 1, failedAttempts: 1, retries: 1, promptTokens: 200, cacheHits: 0 });
    expect(acc.totals()).toMatchObject({ calls: 2, promptTokens: 300, completionTokens: 30, cacheHits: 1 });
    expect(acc.totals().costUsd).toBeCloseTo((300 * 1 + 30 * 2) / 1e6, 15);
  });

  it("merges worker snapshots into the same totals as if one process had done all the work", () => {
    const a = ep("a", 1, 2);
    const b = ep("b", 5, 5);
    const whole = new LlmAccounting();
    const w1 = new LlmAccounting();
    const w2 = new LlmAccounting();
    for (const [acc, e, role] of [
      [w1, a, "serving"],
      [w2, a, "serving"],
      [w2, b, "evaluator"],
    ] as const) {
      acc.recordCall(e, role, { promptTokens: 10, completionTokens: 5 });
      acc.recordCacheHit(e, role);
      whole.recordCall(e, role, { promptTokens: 10, completionTokens: 5 });
      whole.recordCacheHit(e, role);
    }
    const merged = new LlmAccounting();
    merged.merge(JSON.parse(JSON.stringify(w1.snapshot())));
    merged.merge(w2.snapshot());
    expect(merged.snapshot()).toEqual(whole.snapshot());
  });

  it("rejects a malformed snapshot naming the bad fields", () => {
    const acc = new LlmAccounting();
    const bad = { rows: [{ endpointId: "a", model: "m", role: "boss", calls: -1 }] };
    const err = (() => {
      try {
        acc.merge(bad);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    const paths = (err as ValidationError).issues.map((i) => i.path);
    expect(paths).toContain("rows[0].role");
    expect(paths).toContain("rows[0].calls");
    expect(acc.snapshot().rows).toEqual([]);
  });
});

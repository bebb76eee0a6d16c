import { describe, expect, it } from "vitest";
import { LlmMetrics } from "./llm-metrics.js";
import { createMetricsRegistry } from "./metrics-registry.js";

describe("LLM metrics", () => {
  it("count calls, tokens, cost and cache hits per model and LLM role, never the cache key", async () => {
    const registry = createMetricsRegistry("executor", { defaultMetrics: false });
    const m = new LlmMetrics(registry);
    const base = { endpointId: "sim", model: "gpt-x", role: "serving" as const, cacheKey: "secret-looking-key" };
    m.listener({ ...base, type: "call-started", attempt: 1 });
    m.listener({ ...base, type: "call-finished", attempt: 1, promptTokens: 100, completionTokens: 20, costUsd: 0.5, finishReason: "stop" });
    m.listener({ ...base, type: "cache-hit", source: "cache" });
    m.listener({ ...base, role: "evaluator", type: "call-failed", attempts: 3, code: "E_LLM_RATE_LIMITED" });
    const text = await registry.metrics();
    expect(text).toContain('maspo_llm_calls_total{model="gpt-x",llm_role="serving",role="executor"} 1');
    expect(text).toContain('maspo_llm_tokens_total{model="gpt-x",llm_role="serving",kind="prompt",role="executor"} 100');
    expect(text).toContain('maspo_llm_tokens_total{model="gpt-x",llm_role="serving",kind="completion",role="executor"} 20');
    expect(text).toContain('maspo_llm_cost_usd_total{model="gpt-x",llm_role="serving",role="executor"} 0.5');
    expect(text).toContain('maspo_llm_cache_hits_total{model="gpt-x",llm_role="serving",source="cache",role="executor"} 1');
    expect(text).toContain('maspo_llm_failures_total{model="gpt-x",llm_role="evaluator",code="E_LLM_RATE_LIMITED",role="executor"} 1');
    expect(text).not.toContain("secret-looking-key");
  });
});

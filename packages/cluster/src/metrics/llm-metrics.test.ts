import { describe, expect, it } from "vitest";
import { LlmMetrics } from "./llm-metrics.js";
import { createMetricsRegistry } from "./metrics-registry.js";

describe("LLM metrics", () => {
  it("count calls, tokens, cost and cache hits per model, LLM role and run, never the cache key", async () => {
    const registry = createMetricsRegistry("executor", { defaultMetrics: false });
    const m = new LlmMetrics(registry, { run: "r1", sweep: "grid" });
    const base = { endpointId: "sim", model: "gpt-x", role: "serving" as const, cacheKey: "secret-looking-key" };
    m.listener({ ...base, type: "call-started", attempt: 1 });
    m.listener({ ...base, type: "attempt-ended", attempt: 1, durationMs: 300, outcome: "ok" });
    m.listener({ ...base, type: "call-finished", attempt: 1, promptTokens: 100, completionTokens: 20, costUsd: 0.5, finishReason: "stop" });
    m.listener({ ...base, type: "cache-hit", source: "cache" });
    m.listener({ ...base, role: "evaluator", type: "call-failed", attempts: 3, code: "E_LLM_RATE_LIMITED" });
    const text = await registry.metrics();
    const run = 'run="r1",sweep="grid",role="executor"';
    expect(text).toContain(`maspo_llm_calls_total{model="gpt-x",llm_role="serving",${run}} 1`);
    expect(text).toContain(`maspo_llm_tokens_total{model="gpt-x",llm_role="serving",kind="prompt",${run}} 100`);
    expect(text).toContain(`maspo_llm_tokens_total{model="gpt-x",llm_role="serving",kind="completion",${run}} 20`);
    expect(text).toContain(`maspo_llm_cost_usd_total{model="gpt-x",llm_role="serving",${run}} 0.5`);
    expect(text).toContain(`maspo_llm_cache_hits_total{model="gpt-x",llm_role="serving",source="cache",${run}} 1`);
    expect(text).toContain(`maspo_llm_failures_total{model="gpt-x",llm_role="evaluator",code="E_LLM_RATE_LIMITED",${run}} 1`);
    expect(text).toContain(
      'maspo_llm_request_duration_seconds_bucket{le="0.5",role="executor",model="gpt-x",llm_role="serving",outcome="ok",run="r1",sweep="grid"} 1',
    );
    expect(text).toContain(`maspo_llm_requests_in_flight{model="gpt-x",llm_role="serving",${run}} 0`);
    expect(text).not.toContain("secret-looking-key");
  });

  it("count attempts in flight from their start to their end, whatever the outcome", async () => {
    const registry = createMetricsRegistry("evaluator", { defaultMetrics: false });
    const m = new LlmMetrics(registry, { run: "r1" });
    const base = { endpointId: "j", model: "judge", role: "evaluator" as const, cacheKey: "k" };
    m.listener({ ...base, type: "call-started", attempt: 1 });
    m.listener({ ...base, type: "call-started", attempt: 1 });
    expect(await registry.metrics()).toContain(
      'maspo_llm_requests_in_flight{model="judge",llm_role="evaluator",run="r1",role="evaluator"} 2',
    );
    m.listener({ ...base, type: "attempt-ended", attempt: 1, durationMs: 5, outcome: "timeout" });
    m.listener({ ...base, type: "attempt-ended", attempt: 1, durationMs: 5, outcome: "aborted" });
    const text = await registry.metrics();
    expect(text).toContain('maspo_llm_requests_in_flight{model="judge",llm_role="evaluator",run="r1",role="evaluator"} 0');
    expect(text).toContain(
      'maspo_llm_request_duration_seconds_count{role="evaluator",model="judge",llm_role="evaluator",outcome="timeout",run="r1"} 1',
    );
  });

  it("start every series of the known models and LLM roles at 0 (each retry reason and failure code), and drop them on dispose", async () => {
    const registry = createMetricsRegistry("mutator", { defaultMetrics: false });
    const m = new LlmMetrics(registry, { run: "r1" });
    const other = new LlmMetrics(registry, { run: "r2" });
    m.init([{ model: "opt", llm_role: "optimizer" }]);
    other.init([{ model: "opt", llm_role: "optimizer" }]);
    let text = await registry.metrics();
    const who = 'model="opt",llm_role="optimizer"';
    expect(text).toContain(`maspo_llm_calls_total{${who},run="r1",role="mutator"} 0`);
    expect(text).toContain(`maspo_llm_retries_total{${who},reason="rate-limited",run="r1",role="mutator"} 0`);
    expect(text).toContain(`maspo_llm_failures_total{${who},code="E_LLM_EXHAUSTED",run="r1",role="mutator"} 0`);
    expect(text).toContain(`maspo_llm_request_duration_seconds_count{role="mutator",${who},outcome="ok",run="r1"} 0`);
    m.dispose();
    text = await registry.metrics();
    expect(text).not.toContain('run="r1"');
    expect(text).toContain(`maspo_llm_calls_total{${who},run="r2",role="mutator"} 0`);
  });
});

/**
 * LLM use as metrics, per model and LLM role (serving, evaluator, optimizer), fed by the LLM client's
 * events: network calls, tokens, dollars, cache hits, retries and failures. Events carry no message
 * text and no credentials, so nothing secret can reach a label or a value.
 */
import { Counter, type Registry } from "prom-client";
import type { LlmEvent, LlmEventListener } from "@maspo/llm";

type LlmLabels = "model" | "llm_role";

export class LlmMetrics {
  private readonly calls: Counter<LlmLabels>;
  private readonly tokens: Counter<LlmLabels | "kind">;
  private readonly cost: Counter<LlmLabels>;
  private readonly cacheHits: Counter<LlmLabels | "source">;
  private readonly retries: Counter<LlmLabels | "reason">;
  private readonly failures: Counter<LlmLabels | "code">;

  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames = ["model", "llm_role"] as const;
    this.calls = new Counter({ name: "maspo_llm_calls_total", help: "LLM HTTP calls that returned a completion.", labelNames, registers });
    this.tokens = new Counter({
      name: "maspo_llm_tokens_total",
      help: "Tokens of LLM calls made over the network, by kind (prompt, completion).",
      labelNames: [...labelNames, "kind"] as const,
      registers,
    });
    this.cost = new Counter({
      name: "maspo_llm_cost_usd_total",
      help: "Dollars spent on LLM calls, at the spec's prices.",
      labelNames,
      registers,
    });
    this.cacheHits = new Counter({
      name: "maspo_llm_cache_hits_total",
      help: "LLM requests answered without a call: from the shared response cache, or by an identical call in flight.",
      labelNames: [...labelNames, "source"] as const,
      registers,
    });
    this.retries = new Counter({
      name: "maspo_llm_retries_total",
      help: "LLM attempts that failed and were retried, by failure kind.",
      labelNames: [...labelNames, "reason"] as const,
      registers,
    });
    this.failures = new Counter({
      name: "maspo_llm_failures_total",
      help: "LLM requests that failed for good, by error code.",
      labelNames: [...labelNames, "code"] as const,
      registers,
    });
  }

  /** The LlmClient `onEvent` listener that keeps these metrics. */
  readonly listener: LlmEventListener = (event: LlmEvent): void => {
    const who = { model: event.model, llm_role: event.role };
    switch (event.type) {
      case "call-finished":
        this.calls.inc(who);
        this.tokens.inc({ ...who, kind: "prompt" }, event.promptTokens);
        this.tokens.inc({ ...who, kind: "completion" }, event.completionTokens);
        this.cost.inc(who, event.costUsd);
        return;
      case "cache-hit":
        this.cacheHits.inc({ ...who, source: event.source });
        return;
      case "call-retried":
        this.retries.inc({ ...who, reason: event.reason });
        return;
      case "call-failed":
        this.failures.inc({ ...who, code: event.code });
        return;
      case "call-started":
        return;
    }
  };
}

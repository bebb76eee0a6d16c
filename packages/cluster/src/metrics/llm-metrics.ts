/**
 * LLM use of one run as metrics, per model and LLM role (serving, evaluator, optimizer), fed by the
 * run's LLM client events: network calls, tokens, dollars, cache hits, retries and failures, the
 * latency of every HTTP attempt and the attempts in flight. Every series carries the run's `run`
 * (and `sweep`) label. Events carry no message text and no credentials, so nothing secret can reach
 * a label or a value.
 *
 * `init` starts every counter of the model × LLM role pairs the process will call at 0 (every retry
 * reason and failure code included), so rate() works from the first scrape.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { LlmRole } from "@maspo/core";
import { FAILURE_KINDS, LLM_ERROR_CODES, type LlmEvent, type LlmEventListener } from "@maspo/llm";
import { RUN_LABEL_NAMES, RunSeries, metricFamily, type RunLabels } from "./run-series.js";

/** Seconds of one HTTP attempt: a local simulator answers in milliseconds, a long completion in minutes. */
const LATENCY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** What a `call-failed` may report besides an LLM error code. */
const OTHER_FAILURE_CODES = ["E_LLM_CACHE", "unexpected"] as const;

/** A model an LLM role calls: the pair every LLM series is labelled with. */
export interface LlmUse {
  model: string;
  llm_role: LlmRole;
}

type Families = {
  calls: Counter<string>;
  tokens: Counter<string>;
  cost: Counter<string>;
  cacheHits: Counter<string>;
  retries: Counter<string>;
  failures: Counter<string>;
  latency: Histogram<string>;
  inFlight: Gauge<string>;
};

const LABELS = ["model", "llm_role"] as const;

function families(registry: Registry): Families {
  const registers = [registry];
  const counter = (name: string, help: string, extra: readonly string[] = []): Counter<string> =>
    metricFamily(registry, name, () => new Counter({ name, help, labelNames: [...LABELS, ...extra, ...RUN_LABEL_NAMES], registers }));
  return {
    calls: counter("maspo_llm_calls_total", "LLM HTTP calls that returned a completion."),
    tokens: counter("maspo_llm_tokens_total", "Tokens of LLM calls made over the network, by kind (prompt, completion).", ["kind"]),
    cost: counter("maspo_llm_cost_usd_total", "Dollars spent on LLM calls by this process, at the spec's prices."),
    cacheHits: counter(
      "maspo_llm_cache_hits_total",
      "LLM requests answered without a call: from the shared response cache, or by an identical call in flight.",
      ["source"],
    ),
    retries: counter("maspo_llm_retries_total", "LLM attempts that failed and were retried, by failure kind.", ["reason"]),
    failures: counter("maspo_llm_failures_total", "LLM requests that failed for good, by error code.", ["code"]),
    latency: metricFamily(
      registry,
      "maspo_llm_request_duration_seconds",
      () =>
        new Histogram({
          name: "maspo_llm_request_duration_seconds",
          help: "Duration of each LLM HTTP attempt, by outcome (ok, a failure kind, aborted).",
          labelNames: [...LABELS, "outcome", ...RUN_LABEL_NAMES],
          buckets: LATENCY_BUCKETS,
          registers,
        }),
    ),
    inFlight: metricFamily(
      registry,
      "maspo_llm_requests_in_flight",
      () =>
        new Gauge({
          name: "maspo_llm_requests_in_flight",
          help: "LLM HTTP attempts sent and not yet answered.",
          labelNames: [...LABELS, ...RUN_LABEL_NAMES],
          registers,
        }),
    ),
  };
}

export class LlmMetrics {
  private readonly f: Families;
  private readonly series: RunSeries;

  constructor(registry: Registry, labels: RunLabels) {
    this.f = families(registry);
    this.series = new RunSeries(labels);
  }

  /** Starts every series of these model × LLM role pairs at 0. */
  init(uses: readonly LlmUse[]): void {
    for (const use of uses) {
      const who = { model: use.model, llm_role: use.llm_role };
      this.inc("calls", who, 0);
      for (const kind of ["prompt", "completion"]) this.inc("tokens", { ...who, kind }, 0);
      this.inc("cost", who, 0);
      for (const source of ["cache", "in-flight"]) this.inc("cacheHits", { ...who, source }, 0);
      for (const reason of FAILURE_KINDS) this.inc("retries", { ...who, reason }, 0);
      for (const code of [...LLM_ERROR_CODES, ...OTHER_FAILURE_CODES]) this.inc("failures", { ...who, code }, 0);
      this.f.latency.zero(this.labels("latency", { ...who, outcome: "ok" }));
      this.f.inFlight.inc(this.labels("inFlight", who), 0);
    }
  }

  /** Removes every series of this run: for a run over long enough to have been scraped. */
  dispose(): void {
    this.series.removeAll();
  }

  private labels(family: keyof Families, extra: Record<string, string>): Record<string, string> {
    return this.series.of(family, this.f[family], extra);
  }

  private inc(family: "calls" | "tokens" | "cost" | "cacheHits" | "retries" | "failures", extra: Record<string, string>, by = 1): void {
    this.f[family].inc(this.labels(family, extra), by);
  }

  /** The LlmClient `onEvent` listener that keeps these metrics. */
  readonly listener: LlmEventListener = (event: LlmEvent): void => {
    const who = { model: event.model, llm_role: event.role };
    switch (event.type) {
      case "call-started":
        this.f.inFlight.inc(this.labels("inFlight", who));
        return;
      case "attempt-ended":
        this.f.inFlight.dec(this.labels("inFlight", who));
        this.f.latency.observe(this.labels("latency", { ...who, outcome: event.outcome }), event.durationMs / 1000);
        return;
      case "call-finished":
        this.inc("calls", who);
        this.inc("tokens", { ...who, kind: "prompt" }, event.promptTokens);
        this.inc("tokens", { ...who, kind: "completion" }, event.completionTokens);
        this.inc("cost", who, event.costUsd);
        return;
      case "cache-hit":
        this.inc("cacheHits", { ...who, source: event.source });
        return;
      case "call-retried":
        this.inc("retries", { ...who, reason: event.reason });
        return;
      case "call-failed":
        this.inc("failures", { ...who, code: event.code });
        return;
    }
  };
}

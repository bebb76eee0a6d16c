/**
 * The coordinator's view of one run as metrics, every series labelled with the run (and its sweep):
 * its phase and outcome; where it is (round, step); how good it is in absolute terms (the train
 * metric of each round, the best so far, held-out at the end) and, labelled as relative, the
 * composite J and Global Alignment win rate of each agent's best beam member (both measured against
 * a moving reference, so they are no progress measure); the misalignment buffer; the work queue
 * (tasks submitted and resolved, and the backlog per role, which an autoscaler keys on); and the
 * run's LLM use and cost counted from the task results it received — so the spend of a worker that
 * was killed stays on the dashboard.
 *
 * Values are set from plain snapshots; this module knows nothing of the optimizer's state types.
 * Everything known up front (roles, outcomes, phases, the run's models) starts at 0.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import { WORKER_ROLES, type LlmAccountingSnapshot, type WorkerRole } from "@maspo/core";
import type { LlmUse } from "./llm-metrics.js";
import { RUN_LABEL_NAMES, RunSeries, metricFamily, type RunLabels } from "./run-series.js";

export interface RunSnapshot {
  round: number;
  step: number;
  totalSteps: number;
  bufferSize: number;
  /** The best train metric measured so far (null before the first measurement). */
  bestTrainMetric: number | null;
  /** The train metric of the latest round (before the first round end: the starting prompts'), null before any. */
  trainMetric: number | null;
  agents: readonly { agent: string; composite: number; global: number }[];
}

export interface QueueBacklog {
  role: WorkerRole;
  /** Tasks waiting to be delivered. */
  pending: number;
  /** Tasks delivered and not yet acked. */
  ackPending: number;
}

/** Where a run is: probing its endpoints, optimizing, running held-out and writing the report, over. */
export const RUN_PHASES = ["preflight", "optimizing", "finishing", "done", "failed"] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

/** How a run ended: done (and why it stopped) or failed (and its error code). */
export interface RunEnd {
  outcome: "done" | "failed";
  /** For a done run, the kind of stop (deadline, budget, target, patience, all-rounds); for a failed one, the error code. */
  reason: string;
}

type GaugeName =
  | "round"
  | "steps_done"
  | "steps"
  | "buffer"
  | "best_train"
  | "train"
  | "held_out"
  | "composite"
  | "global"
  | "pending"
  | "ack_pending"
  | "phase"
  | "outcome"
  | "started";

const GAUGES: Record<GaugeName, { name: string; help: string; labelNames?: readonly string[] }> = {
  round: { name: "maspo_run_round", help: "The optimization round the run is in." },
  steps_done: { name: "maspo_run_steps_done", help: "Steps of the run's plan completed." },
  steps: { name: "maspo_run_steps", help: "Steps in the run's plan." },
  buffer: { name: "maspo_misalignment_buffer_size", help: "Cases in the misalignment buffer." },
  best_train: { name: "maspo_best_train_metric", help: "Best final metric measured on the train pool so far (absolute)." },
  train: { name: "maspo_train_metric", help: "Final metric on the train pool at the latest round end (absolute)." },
  held_out: {
    name: "maspo_heldout_metric",
    help: "Final metric on the held-out split at the end of the run, of the starting (baseline) and the final prompts (absolute).",
    labelNames: ["graph"],
  },
  composite: {
    name: "maspo_best_composite",
    help: "Relative: composite joint score J of the best prompt in each agent's beam, against the current reference (not comparable across rounds).",
    labelNames: ["agent"],
  },
  global: {
    name: "maspo_best_global",
    help: "Relative: Global Alignment win rate of the best prompt in each agent's beam, against the current reference.",
    labelNames: ["agent"],
  },
  pending: {
    name: "maspo_queue_pending_tasks",
    help: "Tasks queued for a role and not yet delivered (consumer lag).",
    labelNames: ["role"],
  },
  ack_pending: {
    name: "maspo_queue_ack_pending_tasks",
    help: "Tasks delivered to a role's workers and not yet acked.",
    labelNames: ["role"],
  },
  phase: {
    name: "maspo_run_phase",
    help: "1 for the phase the run is in (preflight, optimizing, finishing, done, failed), 0 for the others.",
    labelNames: ["phase"],
  },
  outcome: {
    name: "maspo_run_outcome",
    help: "1 once the run has ended: outcome done (reason: the kind of stop) or failed (reason: the error code).",
    labelNames: ["outcome", "reason"],
  },
  started: { name: "maspo_run_start_time_seconds", help: "When this coordinator started the run (Unix time)." },
};

type UsageName = "calls" | "prompt" | "completion" | "cost" | "cacheHits" | "retries" | "failedAttempts";

const USAGE: Record<"calls" | "tokens" | "cost" | "cacheHits" | "retries" | "failedAttempts", { name: string; help: string }> = {
  calls: { name: "maspo_run_llm_calls_total", help: "LLM HTTP calls of the run, counted by the coordinator from task results." },
  tokens: { name: "maspo_run_llm_tokens_total", help: "Tokens of the run's LLM calls (kind: prompt, completion), from task results." },
  cost: {
    name: "maspo_run_llm_cost_usd_total",
    help: "Dollars the run's LLM calls cost at the spec's prices, from task results (a killed worker's finished tasks included).",
  },
  cacheHits: { name: "maspo_run_llm_cache_hits_total", help: "LLM requests of the run answered without a call, from task results." },
  retries: { name: "maspo_run_llm_retries_total", help: "LLM attempts of the run that failed and were retried, from task results." },
  failedAttempts: {
    name: "maspo_run_llm_failed_attempts_total",
    help: "LLM attempts of the run that failed (retried or not), from task results.",
  },
};

interface UsageSource {
  series: RunSeries;
  read: () => LlmAccountingSnapshot;
  /** What has been counted so far, by series key: the counters go up by the difference. */
  counted: Map<string, number>;
}

/** Per registry, each run's accounting (by its labels), read into the usage counters at each scrape. */
const usageSources = new WeakMap<Registry, Map<string, UsageSource>>();

export class RunMetrics {
  private readonly gauges: Record<GaugeName, Gauge<string>>;
  private readonly submitted: Counter<string>;
  private readonly resolved: Counter<string>;
  private readonly usage: Record<keyof typeof USAGE, Counter<string>>;
  private readonly series: RunSeries;
  private readonly sources: Map<string, UsageSource>;
  private source: UsageSource | undefined;

  constructor(registry: Registry, labels: RunLabels) {
    const registers = [registry];
    this.series = new RunSeries(labels);
    this.gauges = Object.fromEntries(
      (Object.entries(GAUGES) as [GaugeName, (typeof GAUGES)[GaugeName]][]).map(([key, g]) => [
        key,
        metricFamily(registry, g.name, () => new Gauge({ ...g, labelNames: [...(g.labelNames ?? []), ...RUN_LABEL_NAMES], registers })),
      ]),
    ) as Record<GaugeName, Gauge<string>>;
    this.submitted = metricFamily(
      registry,
      "maspo_tasks_submitted_total",
      () =>
        new Counter({
          name: "maspo_tasks_submitted_total",
          help: "Tasks the coordinator put on the work queue.",
          labelNames: ["role", ...RUN_LABEL_NAMES],
          registers,
        }),
    );
    this.resolved = metricFamily(
      registry,
      "maspo_tasks_resolved_total",
      () =>
        new Counter({
          name: "maspo_tasks_resolved_total",
          help: "Task results the coordinator received, by outcome (ok, error; rejected: failed validation, dead-lettered and retried).",
          labelNames: ["role", "outcome", ...RUN_LABEL_NAMES],
          registers,
        }),
    );
    let sources = usageSources.get(registry);
    if (!sources) {
      sources = new Map();
      usageSources.set(registry, sources);
    }
    this.sources = sources;
    const all = sources;
    const shared: { usage?: Record<keyof typeof USAGE, Counter<string>> } = {};
    const usageCounter = (key: keyof typeof USAGE): Counter<string> =>
      metricFamily(
        registry,
        USAGE[key].name,
        () =>
          new Counter({
            ...USAGE[key],
            labelNames: ["model", "llm_role", ...(key === "tokens" ? ["kind"] : []), ...RUN_LABEL_NAMES],
            registers,
            // Any of the families being scraped brings all of them up to date (cheap: a few rows per run).
            collect: () => {
              const families = shared.usage;
              if (families) for (const source of all.values()) countUsage(source, families);
            },
          }),
      );
    this.usage = Object.fromEntries((Object.keys(USAGE) as (keyof typeof USAGE)[]).map((k) => [k, usageCounter(k)])) as Record<
      keyof typeof USAGE,
      Counter<string>
    >;
    shared.usage = this.usage;
    for (const role of WORKER_ROLES) {
      this.submitted.inc(this.labels(this.submitted, "submitted", { role }), 0);
      for (const outcome of ["ok", "error", "rejected"]) this.resolved.inc(this.labels(this.resolved, "resolved", { role, outcome }), 0);
      this.recordBacklog({ role, pending: 0, ackPending: 0 });
    }
    this.set("started", {}, Date.now() / 1000);
  }

  /** The run's LLM use at every scrape, from the accounting of the task results it received. */
  trackUsage(read: () => LlmAccountingSnapshot, uses: readonly LlmUse[] = []): void {
    // A run tracked again in this process (a coordinator resumed here) reads a new accounting that
    // counts its earlier results too: it takes over what was counted, so nothing is counted twice.
    const key = JSON.stringify(this.series.base);
    this.source = { series: this.series, read, counted: this.sources.get(key)?.counted ?? new Map() };
    this.sources.set(key, this.source);
    for (const who of uses) {
      for (const [key, counter] of Object.entries(this.usage) as [keyof typeof USAGE, Counter<string>][]) {
        const kinds = key === "tokens" ? [{ kind: "prompt" }, { kind: "completion" }] : [{}];
        for (const kind of kinds) counter.inc(this.series.of(USAGE[key].name, counter, { ...who, ...kind }), 0);
      }
    }
  }

  setPhase(phase: RunPhase): void {
    for (const p of RUN_PHASES) this.set("phase", { phase: p }, p === phase ? 1 : 0);
  }

  recordEnd(end: RunEnd): void {
    this.setPhase(end.outcome);
    this.set("outcome", { outcome: end.outcome, reason: end.reason }, 1);
  }

  recordHeldOut(heldOut: { baseline: number; final: number }): void {
    this.set("held_out", { graph: "baseline" }, heldOut.baseline);
    this.set("held_out", { graph: "final" }, heldOut.final);
  }

  recordRun(snapshot: RunSnapshot): void {
    this.set("round", {}, snapshot.round);
    this.set("steps_done", {}, snapshot.step);
    this.set("steps", {}, snapshot.totalSteps);
    this.set("buffer", {}, snapshot.bufferSize);
    if (snapshot.bestTrainMetric !== null) this.set("best_train", {}, snapshot.bestTrainMetric);
    if (snapshot.trainMetric !== null) this.set("train", {}, snapshot.trainMetric);
    for (const a of snapshot.agents) {
      this.set("composite", { agent: a.agent }, a.composite);
      this.set("global", { agent: a.agent }, a.global);
    }
  }

  taskSubmitted(role: WorkerRole): void {
    this.submitted.inc(this.labels(this.submitted, "submitted", { role }));
  }

  taskResolved(role: WorkerRole, ok: boolean): void {
    this.resolved.inc(this.labels(this.resolved, "resolved", { role, outcome: ok ? "ok" : "error" }));
  }

  /** A result that failed validation: dead-lettered, its task retried under a fresh id. */
  resultRejected(role: WorkerRole): void {
    this.resolved.inc(this.labels(this.resolved, "resolved", { role, outcome: "rejected" }));
  }

  recordBacklog(backlog: QueueBacklog): void {
    this.set("pending", { role: backlog.role }, backlog.pending);
    this.set("ack_pending", { role: backlog.role }, backlog.ackPending);
  }

  /** Stops reading the run's accounting and removes every series of the run. */
  dispose(): void {
    const key = JSON.stringify(this.series.base);
    if (this.source && this.sources.get(key) === this.source) this.sources.delete(key);
    this.source = undefined;
    this.series.removeAll();
  }

  private labels(metric: Counter<string>, name: string, extra: Record<string, string>): Record<string, string> {
    return this.series.of(name, metric, extra);
  }

  private set(name: GaugeName, extra: Record<string, string>, value: number): void {
    const gauge = this.gauges[name];
    gauge.set(this.series.of(GAUGES[name].name, gauge, extra), value);
  }
}

/** Brings a run's usage counters up to its accounting: each goes up by what was not counted yet. */
function countUsage(source: UsageSource, usage: Record<keyof typeof USAGE, Counter<string>>): void {
  const totals = new Map<string, { who: { model: string; llm_role: string }; values: Record<UsageName, number> }>();
  for (const row of source.read().rows) {
    const key = JSON.stringify([row.model, row.role]);
    const t = totals.get(key) ?? {
      who: { model: row.model, llm_role: row.role },
      values: { calls: 0, prompt: 0, completion: 0, cost: 0, cacheHits: 0, retries: 0, failedAttempts: 0 },
    };
    t.values.calls += row.calls;
    t.values.prompt += row.promptTokens;
    t.values.completion += row.completionTokens;
    t.values.cost += row.costUsd;
    t.values.cacheHits += row.cacheHits;
    t.values.retries += row.retries;
    t.values.failedAttempts += row.failedAttempts;
    totals.set(key, t);
  }
  for (const { who, values } of totals.values()) {
    const bump = (family: keyof typeof USAGE, value: number, extra: Record<string, string> = {}): void => {
      const counter = usage[family];
      const labels = source.series.of(USAGE[family].name, counter, { ...who, ...extra });
      const key = JSON.stringify(labels) + family;
      const delta = value - (source.counted.get(key) ?? 0);
      if (delta > 0) {
        counter.inc(labels, delta);
        source.counted.set(key, value);
      }
    };
    bump("calls", values.calls);
    bump("tokens", values.prompt, { kind: "prompt" });
    bump("tokens", values.completion, { kind: "completion" });
    bump("cost", values.cost);
    bump("cacheHits", values.cacheHits);
    bump("retries", values.retries);
    bump("failedAttempts", values.failedAttempts);
  }
}

/** The progress of a sweep: its runs by status, for a dashboard's sweep panel. */
export class SweepMetrics {
  private readonly runs: Gauge<string>;

  constructor(
    registry: Registry,
    private readonly sweep: string,
  ) {
    this.runs = metricFamily(
      registry,
      "maspo_sweep_runs",
      () =>
        new Gauge({
          name: "maspo_sweep_runs",
          help: "The sweep's runs by status: pending, running, done, failed.",
          labelNames: ["sweep", "status"],
          registers: [registry],
        }),
    );
  }

  record(counts: { total: number; done: number; running: number; failed: number }): void {
    const pending = Math.max(0, counts.total - counts.done - counts.running - counts.failed);
    const statuses = { pending, running: counts.running, done: counts.done, failed: counts.failed };
    for (const [status, n] of Object.entries(statuses)) this.runs.set({ sweep: this.sweep, status }, n);
  }
}

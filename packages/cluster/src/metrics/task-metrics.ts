/**
 * Worker task metrics of one run, fed by the run's WorkQueue observer events: tasks started,
 * completed, failed, redelivered, retried and dead-lettered per worker role, task durations, and
 * tasks in flight (read from the processors at scrape time, so it can never drift from the truth).
 * Every series carries the run's `run` (and `sweep`) label; a process serving many runs holds one
 * TaskMetrics per run over shared families. The counters of the roles a process works for start at
 * 0, so rate() works from the first scrape and "redelivered" reads 0 rather than nothing.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { WorkerRole } from "@maspo/core";
import type { WorkQueueEvent, WorkQueueObserver } from "../transport/work-queue.js";
import { RUN_LABEL_NAMES, RunSeries, metricFamily, type RunLabels } from "./run-series.js";

/** Seconds: LLM-bound tasks take from milliseconds (cache hits) to minutes (long evaluations). */
const DURATION_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

type Role = WorkerRole | "results";
type CounterName = "started" | "completed" | "failed" | "redelivered" | "retried" | "released" | "duplicates_dropped" | "dead_lettered";

const COUNTERS: Record<CounterName, string> = {
  started: "Task deliveries a worker started working on (redeliveries included).",
  completed: "Tasks that produced a result (published, then acked).",
  failed: "Tasks that ended in an error result (non-retryable, or out of deliveries).",
  redelivered: "Task deliveries after the first (a worker died, hung or released it).",
  retried: "Tasks nak'ed for a later retry after a transient failure.",
  released: "In-flight tasks handed back unfinished during a shutdown.",
  duplicates_dropped: "Duplicate deliveries of a task already running or done here, dropped.",
  dead_lettered: "Poison messages copied to the dead-letter stream and terminated.",
};

interface InFlightSource {
  labels: Record<string, string>;
  read: () => number;
}

/** Per registry, the in-flight readers of every run, read by the one gauge at each scrape. */
const inFlightSources = new WeakMap<Registry, Map<string, InFlightSource>>();

function sourcesOf(registry: Registry): Map<string, InFlightSource> {
  let sources = inFlightSources.get(registry);
  if (!sources) {
    sources = new Map();
    inFlightSources.set(registry, sources);
  }
  return sources;
}

export class TaskMetrics {
  private readonly counters: Record<CounterName, Counter<string>>;
  private readonly transportErrors: Counter<string>;
  private readonly duration: Histogram<string>;
  private readonly inFlight: Gauge<string>;
  private readonly series: RunSeries;
  private readonly sources: Map<string, InFlightSource>;
  private readonly tracked = new Set<string>();

  constructor(registry: Registry, labels: RunLabels) {
    const registers = [registry];
    this.series = new RunSeries(labels);
    const counter = (name: CounterName): Counter<string> =>
      metricFamily(
        registry,
        `maspo_tasks_${name}_total`,
        () => new Counter({ name: `maspo_tasks_${name}_total`, help: COUNTERS[name], labelNames: ["role", ...RUN_LABEL_NAMES], registers }),
      );
    this.counters = Object.fromEntries((Object.keys(COUNTERS) as CounterName[]).map((n) => [n, counter(n)])) as Record<
      CounterName,
      Counter<string>
    >;
    this.transportErrors = metricFamily(
      registry,
      "maspo_transport_errors_total",
      () =>
        new Counter({
          name: "maspo_transport_errors_total",
          help: "NATS errors the work queue recovered from (reconnects, failed publishes, re-created consumers).",
          labelNames: [...RUN_LABEL_NAMES],
          registers,
        }),
    );
    this.duration = metricFamily(
      registry,
      "maspo_task_duration_seconds",
      () =>
        new Histogram({
          name: "maspo_task_duration_seconds",
          help: "Time from a task's start to its result being published.",
          labelNames: ["role", "outcome", ...RUN_LABEL_NAMES],
          buckets: DURATION_BUCKETS,
          registers,
        }),
    );
    const sources = sourcesOf(registry);
    this.sources = sources;
    this.inFlight = metricFamily(
      registry,
      "maspo_tasks_in_flight",
      () =>
        new Gauge({
          name: "maspo_tasks_in_flight",
          help: "Tasks being worked on right now.",
          labelNames: ["role", ...RUN_LABEL_NAMES],
          registers,
          collect() {
            for (const source of sources.values()) this.set(source.labels, source.read());
          },
        }),
    );
  }

  /** Starts the counters of `roles` (the roles this process works for) at 0. */
  init(roles: readonly WorkerRole[]): void {
    for (const role of roles) {
      for (const name of Object.keys(this.counters) as CounterName[]) this.count(name, role, 0);
      this.duration.zero(this.series.of("maspo_task_duration_seconds", this.duration, { role, outcome: "ok" }));
      this.duration.zero(this.series.of("maspo_task_duration_seconds", this.duration, { role, outcome: "error" }));
    }
    this.transportErrors.inc(this.series.of("maspo_transport_errors_total", this.transportErrors, {}), 0);
  }

  /** Reports `read()` as the in-flight count of `role` in this run at every scrape. */
  trackInFlight(role: WorkerRole, read: () => number): void {
    const labels = this.series.of("maspo_tasks_in_flight", this.inFlight, { role });
    const key = JSON.stringify(labels);
    this.tracked.add(key);
    this.sources.set(key, { labels, read });
  }

  /** Removes every series of this run (and its in-flight readers): for a run over long enough to have been scraped. */
  dispose(): void {
    for (const key of this.tracked) this.sources.delete(key);
    this.tracked.clear();
    this.series.removeAll();
  }

  private count(name: CounterName, role: Role, by = 1): void {
    const counter = this.counters[name];
    counter.inc(this.series.of(`maspo_tasks_${name}_total`, counter, { role }), by);
  }

  /** The WorkQueue observer that keeps these metrics; chain it with a logger if needed. */
  readonly observe: WorkQueueObserver = (event: WorkQueueEvent): void => {
    switch (event.type) {
      case "task-started":
        this.count("started", event.role);
        if (event.deliveryCount > 1) this.count("redelivered", event.role);
        return;
      case "task-completed": {
        this.count(event.ok ? "completed" : "failed", event.role);
        const outcome = event.ok ? "ok" : "error";
        this.duration.observe(
          this.series.of("maspo_task_duration_seconds", this.duration, { role: event.role, outcome }),
          event.durationMs / 1000,
        );
        return;
      }
      case "task-retry":
        this.count("retried", event.role);
        return;
      case "task-released":
        this.count("released", event.role);
        return;
      case "duplicate-dropped":
        this.count("duplicates_dropped", event.role);
        return;
      case "dead-lettered":
        this.count("dead_lettered", event.role);
        return;
      case "consumer-restarted":
      case "transport-error":
        this.transportErrors.inc(this.series.of("maspo_transport_errors_total", this.transportErrors, {}));
        return;
    }
  };
}

/**
 * A worker process's task slots (`--concurrency`), shared by every run it serves: utilisation is
 * `maspo_tasks_in_flight` summed over runs divided by this. A property of the process, not of a
 * run, so it carries no `run` label.
 */
export function recordWorkerSlots(registry: Registry, slots: number): void {
  metricFamily(
    registry,
    "maspo_worker_slots",
    () =>
      new Gauge({
        name: "maspo_worker_slots",
        help: "Tasks this worker process may work on at once (--concurrency), over all the runs it serves.",
        registers: [registry],
      }),
  ).set(slots);
}

/**
 * Worker task metrics, fed by the WorkQueue's observer events: tasks started, completed, failed,
 * redelivered, retried and dead-lettered per worker role, task durations, and tasks in flight (read
 * from the processors at scrape time, so it can never drift from the truth).
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { WorkerRole } from "@maspo/core";
import type { WorkQueueEvent, WorkQueueObserver } from "../transport/work-queue.js";

/** Seconds: LLM-bound tasks take from milliseconds (cache hits) to minutes (long evaluations). */
const DURATION_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export class TaskMetrics {
  private readonly started: Counter<"role">;
  private readonly completed: Counter<"role">;
  private readonly failed: Counter<"role">;
  private readonly redelivered: Counter<"role">;
  private readonly retried: Counter<"role">;
  private readonly released: Counter<"role">;
  private readonly duplicates: Counter<"role">;
  private readonly deadLettered: Counter<"role">;
  private readonly transportErrors: Counter;
  private readonly duration: Histogram<"role" | "outcome">;
  private readonly inFlightSources = new Map<WorkerRole, () => number>();

  constructor(registry: Registry) {
    const registers = [registry];
    const counter = (name: string, help: string) =>
      new Counter({ name: `maspo_tasks_${name}_total`, help, labelNames: ["role"] as const, registers });
    this.started = counter("started", "Task deliveries a worker started working on (redeliveries included).");
    this.completed = counter("completed", "Tasks that produced a result (published, then acked).");
    this.failed = counter("failed", "Tasks that ended in an error result (non-retryable, or out of deliveries).");
    this.redelivered = counter("redelivered", "Task deliveries after the first (a worker died, hung or released it).");
    this.retried = counter("retried", "Tasks nak'ed for a later retry after a transient failure.");
    this.released = counter("released", "In-flight tasks handed back unfinished during a shutdown.");
    this.duplicates = counter("duplicates_dropped", "Duplicate deliveries of a task already running or done here, dropped.");
    this.deadLettered = counter("dead_lettered", "Poison messages copied to the dead-letter stream and terminated.");
    this.transportErrors = new Counter({
      name: "maspo_transport_errors_total",
      help: "NATS errors the work queue recovered from (reconnects, failed publishes, re-created consumers).",
      registers,
    });
    this.duration = new Histogram({
      name: "maspo_task_duration_seconds",
      help: "Time from a task's start to its result being published.",
      labelNames: ["role", "outcome"] as const,
      buckets: DURATION_BUCKETS,
      registers,
    });
    const sources = this.inFlightSources;
    new Gauge({
      name: "maspo_tasks_in_flight",
      help: "Tasks being worked on right now.",
      labelNames: ["role"] as const,
      registers,
      collect() {
        for (const [role, read] of sources) this.set({ role }, read());
      },
    });
  }

  /** Reports `read()` as the in-flight count of `role` at every scrape. */
  trackInFlight(role: WorkerRole, read: () => number): void {
    this.inFlightSources.set(role, read);
  }

  /** The WorkQueue observer that keeps these metrics; chain it with a logger if needed. */
  readonly observe: WorkQueueObserver = (event: WorkQueueEvent): void => {
    switch (event.type) {
      case "task-started":
        this.started.inc({ role: event.role });
        if (event.deliveryCount > 1) this.redelivered.inc({ role: event.role });
        return;
      case "task-completed":
        (event.ok ? this.completed : this.failed).inc({ role: event.role });
        this.duration.observe({ role: event.role, outcome: event.ok ? "ok" : "error" }, event.durationMs / 1000);
        return;
      case "task-retry":
        this.retried.inc({ role: event.role });
        return;
      case "task-released":
        this.released.inc({ role: event.role });
        return;
      case "duplicate-dropped":
        this.duplicates.inc({ role: event.role });
        return;
      case "dead-lettered":
        this.deadLettered.inc({ role: event.role });
        return;
      case "consumer-restarted":
      case "transport-error":
        this.transportErrors.inc();
        return;
    }
  };
}

/**
 * The coordinator's view of a run as metrics: where it is (round, step), how good it is (best
 * composite J and best global-lens score per agent), the misalignment buffer, the work queue
 * (tasks submitted and resolved, and the backlog per role: the signal an autoscaler keys on).
 * Values are set from plain snapshots; this module knows nothing of the optimizer's state types.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { WorkerRole } from "@maspo/core";

export interface RunSnapshot {
  round: number;
  step: number;
  totalSteps: number;
  bufferSize: number;
  /** The best train metric measured so far (null before the first measurement). */
  bestTrainMetric: number | null;
  agents: readonly { agent: string; composite: number; global: number }[];
}

export interface QueueBacklog {
  role: WorkerRole;
  /** Tasks waiting to be delivered. */
  pending: number;
  /** Tasks delivered and not yet acked. */
  ackPending: number;
}

export class RunMetrics {
  private readonly round: Gauge;
  private readonly step: Gauge;
  private readonly totalSteps: Gauge;
  private readonly bufferSize: Gauge;
  private readonly bestTrain: Gauge;
  private readonly composite: Gauge<"agent">;
  private readonly global: Gauge<"agent">;
  private readonly submitted: Counter<"role">;
  private readonly resolved: Counter<"role" | "outcome">;
  private readonly pending: Gauge<"role">;
  private readonly ackPending: Gauge<"role">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.round = new Gauge({ name: "maspo_run_round", help: "The optimization round the run is in.", registers });
    this.step = new Gauge({ name: "maspo_run_steps_done", help: "Steps of the run's plan completed.", registers });
    this.totalSteps = new Gauge({ name: "maspo_run_steps", help: "Steps in the run's plan.", registers });
    this.bufferSize = new Gauge({ name: "maspo_misalignment_buffer_size", help: "Cases in the misalignment buffer.", registers });
    this.bestTrain = new Gauge({ name: "maspo_best_train_metric", help: "Best final metric measured on the train pool.", registers });
    this.composite = new Gauge({
      name: "maspo_best_composite",
      help: "Composite joint score J of the best prompt in each agent's beam.",
      labelNames: ["agent"] as const,
      registers,
    });
    this.global = new Gauge({
      name: "maspo_best_global",
      help: "Global Alignment win rate of the best prompt in each agent's beam.",
      labelNames: ["agent"] as const,
      registers,
    });
    this.submitted = new Counter({
      name: "maspo_tasks_submitted_total",
      help: "Tasks the coordinator put on the work queue.",
      labelNames: ["role"] as const,
      registers,
    });
    this.resolved = new Counter({
      name: "maspo_tasks_resolved_total",
      help: "Task results the coordinator received, by outcome (ok, error).",
      labelNames: ["role", "outcome"] as const,
      registers,
    });
    this.pending = new Gauge({
      name: "maspo_queue_pending_tasks",
      help: "Tasks queued for a role and not yet delivered (consumer lag).",
      labelNames: ["role"] as const,
      registers,
    });
    this.ackPending = new Gauge({
      name: "maspo_queue_ack_pending_tasks",
      help: "Tasks delivered to a role's workers and not yet acked.",
      labelNames: ["role"] as const,
      registers,
    });
  }

  recordRun(snapshot: RunSnapshot): void {
    this.round.set(snapshot.round);
    this.step.set(snapshot.step);
    this.totalSteps.set(snapshot.totalSteps);
    this.bufferSize.set(snapshot.bufferSize);
    if (snapshot.bestTrainMetric !== null) this.bestTrain.set(snapshot.bestTrainMetric);
    for (const a of snapshot.agents) {
      this.composite.set({ agent: a.agent }, a.composite);
      this.global.set({ agent: a.agent }, a.global);
    }
  }

  taskSubmitted(role: WorkerRole): void {
    this.submitted.inc({ role });
  }

  taskResolved(role: WorkerRole, ok: boolean): void {
    this.resolved.inc({ role, outcome: ok ? "ok" : "error" });
  }

  recordBacklog(backlog: QueueBacklog): void {
    this.pending.set({ role: backlog.role }, backlog.pending);
    this.ackPending.set({ role: backlog.role }, backlog.ackPending);
  }
}

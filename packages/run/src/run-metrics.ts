/**
 * A run's metrics, the same in both modes: its coordinator's RunMetrics (phase and outcome, round and
 * step, absolute train and held-out metrics, relative scores, tasks, and LLM use and cost counted
 * from the task results it received), and — embedded, where the workers are in this process — the
 * task and LLM metrics a worker process would export, all in one registry with the run's `run` (and
 * `sweep`) label. The registry is the run's own, served on `--metrics-port`, or one it shares (a
 * sweep's, which serves every run's).
 */
import { type RunSpec, MaspoError, WORKER_ROLES, type WorkerRole, evaluationModelsOf, servingModelOf } from "@maspo/core";
import {
  type LlmUse,
  type MetricsServer,
  type QueueWorkers,
  type QueueWorkersEvent,
  type Registry,
  type RunLabels,
  type RunPhase,
  RunMetrics,
  createMetricsRegistry,
  startMetricsServer,
} from "@maspo/cluster";
import { globalRound, type OptimizeConfig, type StepEvent, stopKind } from "@maspo/coordinator";
import { runSnapshotOf } from "./cluster/run-snapshot.js";
import type { MetricsPort } from "./run-job.js";

/** How a run exports its metrics; nothing of it: none. */
export interface RunMetricsOptions {
  /** Serve the run's metrics on `/metrics` at this port. */
  metricsPort?: MetricsPort;
  /**
   * Keep serving them this long once the run has ended (done or failed), so a last scrape sees how;
   * the run resolves at once and the server closes by itself (keeping the process alive until then). Default 0.
   */
  metricsLingerMs?: number;
  /** Put the run's metrics in this registry instead (a sweep's, which serves them itself). */
  metricsRegistry?: Registry;
}

/** The model × LLM role pairs a worker role calls in a run (all of the run's, without a role): its LLM series. */
export function llmUsesOf(spec: RunSpec, role?: WorkerRole): LlmUse[] {
  const model = (id: string): string => spec.models[id]?.model ?? id;
  const serving = [...new Set(spec.graph.agents.map((a) => model(servingModelOf(spec, a.id))))];
  const judges = [...new Set(Object.values(evaluationModelsOf(spec)).map(model))];
  const byRole: Record<WorkerRole, LlmUse[]> = {
    executor: serving.map((m) => ({ model: m, llm_role: "serving" })),
    // Evaluators re-run the serving models (downstream agents, the final output) besides judging.
    evaluator: [
      ...judges.map((m) => ({ model: m, llm_role: "evaluator" as const })),
      ...serving.map((m) => ({ model: m, llm_role: "serving" as const })),
    ],
    mutator: [{ model: model(spec.optimizer.model), llm_role: "optimizer" }],
  };
  const uses = role === undefined ? WORKER_ROLES.flatMap((r) => byRole[r]) : byRole[role];
  return [...new Map(uses.map((u) => [`${u.model}\u0000${u.llm_role}`, u])).values()];
}

/** The kind of a run's stop, from its stop reason (a label value: a few fixed words, no numbers); the report reads the same. */
export { stopKind } from "@maspo/coordinator";

/** Where a run's metrics go: a registry (its own or a shared one) and the server of its own, if any. */
export interface RunMetricsSink {
  registry: Registry;
  /** The run's own server's address, when it serves one. */
  url: string | undefined;
  /** Closes the run's own server, after the linger period; a shared registry is left alone. */
  close(): Promise<void>;
}

/** Opens the registry a run's metrics go to (and its server), or undefined when the run exports none. */
export async function openRunMetrics(options: RunMetricsOptions, processRole: string): Promise<RunMetricsSink | undefined> {
  if (options.metricsRegistry) return { registry: options.metricsRegistry, url: undefined, close: () => Promise.resolve() };
  if (options.metricsPort === undefined || options.metricsPort === 0) return undefined;
  const registry = createMetricsRegistry(processRole);
  const server = await startMetricsServer(registry, { port: options.metricsPort === "auto" ? 0 : options.metricsPort });
  return { registry, url: server.url, close: () => lingerThenClose(server, options.metricsLingerMs ?? 0) };
}

/**
 * Closes a metrics server now, or — with a linger — `lingerMs` from now, in the background, so that
 * Prometheus scrapes what the process ended with while the caller goes on (the server's timer keeps
 * the process alive until then).
 */
export async function lingerThenClose(server: MetricsServer, lingerMs: number): Promise<void> {
  if (lingerMs <= 0) return server.close();
  setTimeout(() => void server.close().catch(() => undefined), lingerMs);
}

/** The coordinator's metrics of one run, and the hooks that keep them from the run job's events. */
export class CoordinatorMetrics {
  readonly metrics: RunMetrics;
  private readonly uses: LlmUse[];

  constructor(registry: Registry, labels: RunLabels, spec: RunSpec) {
    this.metrics = new RunMetrics(registry, labels);
    this.uses = llmUsesOf(spec);
    this.metrics.setPhase("preflight");
  }

  /** Counts the run's LLM use as the report does: what endpoints served (the ledger), with the results' cache hits. */
  trackUsage(workers: QueueWorkers): void {
    this.metrics.trackUsage(() => workers.usageSnapshot(), this.uses);
  }

  onPhase = (phase: RunPhase): void => this.metrics.setPhase(phase);

  /** The coordinator's task events: tasks submitted and resolved per role. */
  onQueueEvent = (event: QueueWorkersEvent): void => {
    if (event.type === "submitted") this.metrics.taskSubmitted(event.role);
    else if (event.type === "resolved") this.metrics.taskResolved(event.role, event.ok);
    else if (event.type === "invalid-result") this.metrics.resultRejected(event.role);
  };

  afterStep = (event: StepEvent, config: OptimizeConfig): void => {
    this.metrics.recordRun(runSnapshotOf({ ...event, round: globalRound(event.step, config.search.rounds) }));
  };

  finished(report: { stopReason: string; delta: { heldOut: { baseline: number; final: number } } }): void {
    this.metrics.recordHeldOut(report.delta.heldOut);
    this.metrics.recordEnd({ outcome: "done", reason: stopKind(report.stopReason) });
  }

  failed(err: unknown): void {
    this.metrics.recordEnd({ outcome: "failed", reason: err instanceof MaspoError ? String(err.code) : "unexpected" });
  }
}

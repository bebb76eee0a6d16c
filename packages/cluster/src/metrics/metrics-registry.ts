/**
 * One Prometheus registry per maspo process. Every sample carries the process's role as a default
 * label (executor, evaluator, mutator, coordinator), and the Node runtime metrics come along, so a
 * dashboard can tell replicas of a role apart from the other roles without any id as a label.
 */
import { Registry, collectDefaultMetrics } from "prom-client";

/** The metric name prefix shared by everything maspo exports. */
export const METRIC_PREFIX = "maspo_";

export interface MetricsRegistryOptions {
  /** Node process metrics (CPU, memory, event loop lag, GC). Default true. */
  defaultMetrics?: boolean;
}

export function createMetricsRegistry(processRole: string, options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ role: processRole });
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return registry;
}

export type { Registry };

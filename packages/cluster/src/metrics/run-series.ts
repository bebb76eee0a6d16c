/**
 * What ties a metric series to a run: the `run` label (and `sweep`, when the run belongs to one) on
 * every series a run's work produces, in every process. One process may hold many runs' series at
 * once (a pool worker serves every run; a sweep coordinates many), so the metric families are shared
 * per registry and each run's series are remembered, to be removed once the run is over.
 */
import type { Registry } from "prom-client";

export interface RunLabels {
  /** The run's id (on a cluster, its run id; embedded, the id a cluster would give it). */
  run: string;
  /** The sweep the run belongs to, if any. */
  sweep?: string | undefined;
}

/** The label names every run-scoped metric family declares, after its own. */
export const RUN_LABEL_NAMES = ["run", "sweep"] as const;

type LabelValues = Record<string, string | number>;

interface Removable {
  remove(labels: LabelValues): void;
}

/**
 * The registry's metric called `name`, created by `create` the first time: many runs' metrics
 * objects in one process share one family per name (prom-client allows one per registry).
 */
export function metricFamily<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

/** One run's label values, and every series written with them, so they can all be removed at once. */
export class RunSeries {
  readonly base: Readonly<Record<string, string>>;
  private readonly written = new Map<string, () => void>();

  constructor(labels: RunLabels) {
    this.base = labels.sweep !== undefined && labels.sweep !== "" ? { run: labels.run, sweep: labels.sweep } : { run: labels.run };
  }

  /** `extra` with the run's labels, remembered as a series of `metric` (`name` keys it). */
  of<T extends LabelValues>(name: string, metric: Removable, extra: T): T & Record<string, string> {
    const labels = { ...extra, ...this.base };
    const key = `${name}\u0000${JSON.stringify(labels)}`;
    if (!this.written.has(key)) this.written.set(key, () => metric.remove(labels));
    return labels;
  }

  /** Removes every series written through `of`; later writes start them again. */
  removeAll(): void {
    for (const remove of this.written.values()) remove();
    this.written.clear();
  }
}

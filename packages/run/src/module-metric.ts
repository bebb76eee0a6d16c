/**
 * The `module` final metric: the user's own function, `(output, example) => number | Promise<number>`
 * (core's `MetricFunction`), loaded from the ES module the spec names (validation has checked that
 * it loads and exports a function; a worker on another machine loads it from the same path). It is
 * loaded once per process, on first use.
 *
 * A metric that throws, or returns anything but a finite number in [0, 1], fails the task with an
 * error naming the module, the export and the example — the run stops (exit 1) rather than score
 * the example 0 and carry on.
 */
import { type Example, MaspoError, type MetricFunction, type ModuleMetric, loadMetricFunction } from "@maspo/core";

export class MetricModuleError extends MaspoError<"E_METRIC_MODULE" | "E_METRIC_MODULE_LOAD"> {}

function describeValue(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (value === undefined) return "undefined";
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return value === null ? "null" : `a value of type ${typeof value}`;
}

export function moduleMetricScorer(metric: ModuleMetric): (output: string, example: Example) => Promise<number> {
  const name = `task.metric module ${metric.path} (export "${metric.export}")`;
  let loaded: Promise<MetricFunction> | undefined;
  return async (output, example) => {
    loaded ??= loadMetricFunction(metric).then((r) => {
      if ("problem" in r)
        throw new MetricModuleError(
          "E_METRIC_MODULE_LOAD",
          `${name} cannot be used: expected ${r.problem.expected}, found ${r.problem.found}`,
        );
      return r.fn as unknown as MetricFunction;
    });
    const fn = await loaded;
    let value: unknown;
    try {
      value = await fn(output, example);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new MetricModuleError("E_METRIC_MODULE", `${name} threw on example "${example.id}": ${message}`, { cause: error });
    }
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new MetricModuleError(
        "E_METRIC_MODULE",
        `${name} returned ${describeValue(value)} on example "${example.id}": expected a score, a finite number in [0, 1]`,
      );
    }
    return value;
  };
}

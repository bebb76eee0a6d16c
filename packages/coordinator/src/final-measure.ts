/**
 * How a whole prompt set is measured — at orientation, at every round end (the train metric that
 * drives patience, the target metric and the returned best set) and at the finish (held-out):
 *
 * - `task-metric`: the mean task metric of the final answers (labelled examples).
 * - `judge-vs-baseline`: without labels, the mean judged win rate of the set's final answers
 *   against the BASELINE graph's (the initial prompts) on the same examples — the global lens's
 *   question, asked in both orders so the judge's position bias cancels; 1 win, ½ tie, 0 loss. The
 *   baseline itself scores exactly ½ ("as good as the baseline"), so the measure is anchored: every
 *   round is compared with the same fixed reference, and re-measuring the same prompts gives the
 *   same number (seeded judge, cached calls). It is never fed into a candidate's score: candidates
 *   are still scored against their parent or the current best (Beam Refresh) by the three lenses.
 */
import type { EngineWorkers, Example, FinalAnswer, FinalComparison, Trace } from "@maspo/core";
import { meanFinalScore } from "@maspo/core";
import { type LoopContext, runAll } from "./loop-context.js";

export type FinalMeasure = "task-metric" | "judge-vs-baseline";

/** How the report names each measure: a judged win rate is not an accuracy. */
export const FINAL_MEASURE_NAMES: Record<FinalMeasure, string> = {
  "task-metric": "final metric",
  "judge-vs-baseline": "judged win rate vs the baseline",
};

export interface MeasuredFinals {
  /** In [0, 1]; for judge-vs-baseline, ½ = as good as the baseline. */
  value: number;
  /** Per example (same order as the traces): the metric, the win rate, or null when unmeasured. */
  perExample: (number | null)[];
  malformedVerdicts: number;
}

/** The run graph's final answer as a judge compares it. */
function finalAnswer(trace: Trace): FinalAnswer {
  const step = trace.steps[trace.finalAgent];
  return { output: trace.finalOutput, status: step?.status ?? "error" };
}

/**
 * The final answers of `traces` judged against `baselineTraces` (the initial prompts), both run on
 * `examples` in its order (as `runAll` returns them), one compareFinals task per example, all at once.
 */
export async function judgeAgainstBaseline(
  workers: Pick<EngineWorkers, "compareFinals">,
  examples: readonly Example[],
  traces: readonly Trace[],
  baselineTraces: readonly Trace[],
): Promise<MeasuredFinals> {
  const comparisons: FinalComparison[] = await Promise.all(
    examples.map((example, i) =>
      workers.compareFinals({ example, candidate: finalAnswer(traces[i] as Trace), reference: finalAnswer(baselineTraces[i] as Trace) }),
    ),
  );
  const scores = comparisons.map((c) => c.score);
  return {
    value: scores.length === 0 ? 0.5 : scores.reduce((a, b) => a + b, 0) / scores.length,
    perExample: scores,
    malformedVerdicts: comparisons.reduce((n, c) => n + c.malformedVerdicts, 0),
  };
}

/** The task metric of traces (0 when none is labelled, as before), per example null where unlabelled. */
export function taskMetricOf(traces: readonly Trace[]): MeasuredFinals {
  return { value: meanFinalScore(traces) ?? 0, perExample: traces.map((t) => t.finalScore ?? null), malformedVerdicts: 0 };
}

/**
 * The train pool's round metric of a prompt set whose traces on the pool are `traces`. Without
 * labels, the baseline graph is run on the pool too (the same requests as orientation's, so the
 * results are reused, not paid for again) and the two sets of final answers are judged pairwise.
 * Malformed verdicts are counted in the run's total, as every judge answer is.
 */
export async function measureTrainPool(ctx: LoopContext, traces: readonly Trace[], baselineTraces?: readonly Trace[]): Promise<number> {
  if ((ctx.config.measure ?? "task-metric") === "task-metric") return taskMetricOf(traces).value;
  const baseline = baselineTraces ?? (await runAll(ctx, ctx.config.initialPrompts, ctx.config.train));
  const measured = await judgeAgainstBaseline(ctx.workers, ctx.config.train, traces, baseline);
  ctx.state.malformedVerdicts += measured.malformedVerdicts;
  return measured.value;
}

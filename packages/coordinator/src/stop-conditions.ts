/**
 * The stop condition a run states up front (shared/maspo.md, "Inputs" and workflow step 6): the
 * deadline and the spend budget are checked before every step, so a run ends between steps with a
 * consistent checkpoint, and the budget again after each (a step it ran out in is dropped); the
 * target metric and the patience (rounds without global improvement) are checked at each round end,
 * on the round's train metric. The first reason found is kept: the
 * report says why the run ended.
 */
import type { EngineWorkers, UsageTotals } from "@maspo/core";
import type { OptimizeConfig } from "./optimize-config.js";
import type { RunState } from "./run-state.js";

type StopConfig = OptimizeConfig["stop"];

/**
 * Before a step: stop at the deadline or once the budget is spent. Spend is read only while the run has
 * not stopped. The deadline is the state's (the run's absolute end, fixed at its first start), and the
 * workers' spend includes what a resumed run had spent before, so neither restarts on resume.
 */
export function stopBeforeStep(stop: StopConfig, state: RunState, workers: Pick<EngineWorkers, "usage">, now: () => number): void {
  if (state.stopReason !== null) return;
  const usage = workers.usage();
  const deadlineAt = state.deadlineAt !== undefined ? state.deadlineAt : stop.deadlineAt;
  if (deadlineAt !== null && now() >= deadlineAt) state.stopReason = "deadline reached";
  else state.stopReason = budgetSpent(stop, usage) ?? null;
}

/** Whether the run has a budget (USD or tokens). */
export function hasBudget(stop: StopConfig): boolean {
  return stop.budgetUsd !== null || (stop.budgetTokens ?? null) !== null;
}

/** The stop reason of a budget that `usage` has spent (USD first), or undefined. */
export function budgetSpent(stop: StopConfig, usage: UsageTotals): string | undefined {
  if (stop.budgetUsd !== null && usage.usd >= stop.budgetUsd) return `budget of $${stop.budgetUsd} spent`;
  const tokens = stop.budgetTokens ?? null;
  if (tokens !== null && usage.tokens >= tokens) return `budget of ${tokens} tokens spent`;
  return undefined;
}

/**
 * After a step (or when it failed): whether the budget ran out during it. If so the state is put back
 * as it was before the step (`before`), stopped as a budget stop, and true is returned; a step whose
 * calls were refused for the budget thus ends the run normally, with the best prompts before it.
 */
export async function budgetRanOut(
  stop: StopConfig,
  state: RunState,
  workers: Pick<EngineWorkers, "usage" | "refreshUsage">,
  before: RunState | undefined,
): Promise<boolean> {
  if (!hasBudget(stop) || before === undefined) return false;
  await workers.refreshUsage?.();
  const reason = budgetSpent(stop, workers.usage());
  if (reason === undefined) return false;
  for (const key of Object.keys(state) as (keyof RunState)[]) delete state[key];
  Object.assign(state, before, { stopReason: reason });
  return true;
}

/**
 * At a round end, after `state.roundsWithoutImprovement` is updated: stop at the target metric, or
 * when patience ran out. `measureName` says what the train metric is (a label-free run's is a judged
 * win rate against the baseline, and its target is one too).
 */
export function stopAtRoundEnd(stop: StopConfig, state: RunState, trainMetric: number, measureName = "train"): void {
  if (stop.targetMetric !== null && trainMetric >= stop.targetMetric) {
    state.stopReason = `target metric ${stop.targetMetric} reached (${measureName} ${trainMetric.toFixed(3)})`;
  } else if (state.roundsWithoutImprovement >= stop.patience) {
    state.stopReason = `no global improvement for ${stop.patience} rounds`;
  }
}

/** After the last planned step: a run that nothing stopped early ran all its rounds. */
export function stopWhenPlanDone(state: RunState): void {
  if (state.stopReason === null) state.stopReason = "all rounds done";
}

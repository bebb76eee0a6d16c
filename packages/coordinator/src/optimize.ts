/**
 * The MASPO optimization loop (shared/maspo.md, "Core workflow"): orientation, beam initialisation,
 * misalignment mining, rounds of Beam Refresh → trace-guided mutation → joint evaluation → top-K,
 * in Gauss-Seidel order, until a stop condition. It owns no I/O: workers, checkpoints and progress
 * are injected, so the embedded mode and the cluster run exactly this code. The held-out split
 * never reaches it.
 *
 * This file is the driver only: it plans the steps, runs each through `runStep`, and checkpoints
 * after each. Every step is its own file, named after the method's step:
 *   orientation.ts · beam-init.ts · agent-step.ts (beam-refresh.ts, operator-choice.ts,
 *   joint-evaluation.ts, misalignment-mining.ts, keep-top-k.ts) · round-end.ts · stop-conditions.ts
 * and they share one LoopContext (loop-context.ts).
 */
import { promptVersion } from "@maspo/core";
import { agentStep } from "./agent-step.js";
import { initBeam } from "./beam-init.js";
import type { EngineWorkers } from "@maspo/core";
import { gaussSeidelOrder } from "./gauss-seidel.js";
import { type LoopContext, createLoopContext } from "./loop-context.js";
import type { OptimizeConfig } from "./optimize-config.js";
import { orientation } from "./orientation.js";
import { roundEnd } from "./round-end.js";
import { noteStepEnd } from "./round-token-cap.js";
import { liftRoundCap, withinRoundCap } from "./round-token-cap.js";
import type { RunState } from "./run-state.js";
import { type Step, describeStep, globalRound, planSteps } from "./step-plan.js";
import { budgetRanOut, hasBudget, stopBeforeStep, stopWhenPlanDone } from "./stop-conditions.js";

export { ablatedWeights } from "./ablated-weights.js";
export type { OptimizeConfig } from "./optimize-config.js";

export interface StepEvent {
  index: number;
  total: number;
  step: Step;
  label: string;
  state: RunState;
}

export interface OptimizeHooks {
  /** Called after every step with the state to checkpoint; awaited, so a checkpoint is durable before the next step. */
  onStep?: (event: StepEvent) => Promise<void> | void;
  /** Called at every round end (one terminal line per round). */
  onRound?: (event: StepEvent) => void;
  /** Wall clock, injectable for tests of the deadline. */
  now?: () => number;
}

export interface OptimizeResult {
  state: RunState;
  finalPrompts: Record<string, string>;
}

export function initialState(config: OptimizeConfig): RunState {
  const best: Record<string, string> = {};
  for (const [id, prompt] of Object.entries(config.initialPrompts)) best[id] = promptVersion(prompt);
  return {
    v: 1,
    nextStep: 0,
    beams: {},
    best,
    prompts: { ...config.initialPrompts },
    buffer: [],
    trajectory: [],
    rounds: [],
    guardEvents: [],
    orientation: null,
    bestTrainMetric: Number.NEGATIVE_INFINITY,
    bestPrompts: { ...config.initialPrompts },
    bestRound: 0,
    roundsWithoutImprovement: 0,
    stopReason: null,
    roundStartTokens: 0,
    skipRoundAfterGuard: false,
    malformedVerdicts: 0,
  };
}

export async function optimize(
  config: OptimizeConfig,
  workers: EngineWorkers,
  hooks: OptimizeHooks = {},
  resumeFrom?: RunState,
): Promise<OptimizeResult> {
  const order = gaussSeidelOrder(config.graph);
  // The plan depends on orientation's frontier, which is in the state (so a resume plans the same steps).
  const planFor = (frontier: string | null) =>
    planSteps(order, config.search.epochs, config.search.rounds, config.search.stepsPerAgent, frontier);
  const now = hooks.now ?? Date.now;
  // A resumed run continues from the checkpoint's next step; the checkpoint itself is never mutated.
  const state: RunState = resumeFrom ? structuredClone(resumeFrom) : initialState(config);
  // The run's absolute end is fixed when it first starts and kept in its checkpoints; a resumed run
  // keeps it. (A checkpoint written before the deadline was kept has none: its deadline starts again.)
  if (state.deadlineAt === undefined) state.deadlineAt = config.stop.deadlineAt;
  const ctx = createLoopContext(config, workers, state, order);
  for (let index = state.nextStep; ; index++) {
    const plan = planFor(state.orientation?.frontier ?? null);
    if (index >= plan.length) break;
    const step = plan[index] as Step;
    await workers.refreshUsage?.();
    stopBeforeStep(config.stop, state, workers, now);
    if (state.stopReason !== null) break;
    // The step the budget runs out in is dropped, whether its calls were refused or it finished, so
    // where a run stops does not depend on the order its concurrent calls were served in.
    const before = hasBudget(config.stop) ? structuredClone(state) : undefined;
    try {
      await runStep(ctx, step, globalRound(step, config.search.rounds));
    } catch (err) {
      if (!(await budgetRanOut(config.stop, state, workers, before))) throw err;
      break;
    }
    if (await budgetRanOut(config.stop, state, workers, before)) break;
    await noteStepEnd(ctx);
    state.nextStep = index + 1;
    const event: StepEvent = { index, total: plan.length, step, label: describeStep(step), state };
    await hooks.onStep?.(event);
    if (step.kind === "round-end") hooks.onRound?.(event);
  }
  await liftRoundCap(ctx);
  stopWhenPlanDone(state);
  return { state, finalPrompts: { ...state.bestPrompts } };
}

/** One planned step, by kind: each is a step of the method's core workflow. */
function runStep(ctx: LoopContext, step: Step, round: number): Promise<void> {
  switch (step.kind) {
    case "orientation":
      return orientation(ctx);
    case "init":
      return initBeam(ctx, step.agent);
    case "agent":
      // Under guards.tokensPerRoundMax, a step the round's ceiling is reached in is dropped (round-token-cap.ts).
      return withinRoundCap(ctx, round, { agent: step.agent, label: describeStep(step) }, () => agentStep(ctx, step, round)).then(
        () => undefined,
      );
    case "round-end":
      return roundEnd(ctx, step, round);
  }
}

/**
 * The end of an evolutionary round (workflow steps 5 and 6). Gauss-Seidel sync completes the round:
 * an agent whose context moved after its own step (a successor's best changed) is re-scored now,
 * before the round counts. Then the whole graph is measured on the train pool (final-measure.ts: the
 * task metric, or without labels the judged win rate against the baseline graph); the best graph
 * measured so far is kept (a later round may regress), the round summary is reported, and the
 * target-metric and patience stop conditions are checked. The summary also records, for the report
 * only, the current graph's prompt versions and where each agent's best stands. Under a round token
 * cap (round-token-cap.ts) the re-scoring is held to the round's ceiling and the measure is counted in
 * the round, outside the cap.
 */
import { Rng, successorsOf, type Trace } from "@maspo/core";
import { refreshBeam, refreshEnabled } from "./beam-refresh.js";
import { anchorOf } from "./candidate-log.js";
import { FINAL_MEASURE_NAMES, measureTrainPool } from "./final-measure.js";
import { isBeamStale } from "./gauss-seidel.js";
import { type LoopContext, contextVersions, runAll } from "./loop-context.js";
import { measureOutsideCap, withinRoundCap } from "./round-token-cap.js";
import type { RoundSummary } from "./run-state.js";
import type { Step } from "./step-plan.js";
import { stopAtRoundEnd } from "./stop-conditions.js";

type RoundEndStep = Extract<Step, { kind: "round-end" }>;

export async function roundEnd(ctx: LoopContext, step: RoundEndStep, round: number): Promise<void> {
  if (refreshEnabled(ctx)) await resyncStaleBeams(ctx, step, round);
  const { value: trainMetric, tokenCap } = await measureOutsideCap(ctx, round, () => measureRound(ctx, round));
  reportRound(ctx, step, round, trainMetric, tokenCap);
  const judged = ctx.config.measure === "judge-vs-baseline";
  stopAtRoundEnd(ctx.config.stop, ctx.state, trainMetric, judged ? `train ${FINAL_MEASURE_NAMES["judge-vs-baseline"]}` : "train");
}

/** Gauss-Seidel, round completion: agents whose successors' bests moved after their own step are re-scored now, in order. */
async function resyncStaleBeams(ctx: LoopContext, step: RoundEndStep, round: number): Promise<void> {
  const { config, state } = ctx;
  for (const agentId of ctx.order) {
    if (isBeamStale(state.beams[agentId] ?? [], agentId, contextVersions(ctx, agentId))) {
      const rng = Rng.derive(config.seed, "round-end-refresh", step.epoch, step.round, agentId);
      const label = `epoch ${step.epoch} round ${step.round} end: re-scoring ${agentId}'s beam`;
      if (!(await withinRoundCap(ctx, round, { agent: agentId, label }, () => refreshBeam(ctx, agentId, rng, round)))) continue;
      const last = [...state.trajectory].reverse().find((r) => r.agent === agentId && r.round === round);
      if (last) last.beam_refresh_triggered = true;
    }
  }
}

/** The round's train metric of the current graph; the best graph measured so far is what the run returns. */
async function measureRound(ctx: LoopContext, round: number): Promise<{ value: number; traces: Trace[] }> {
  const { state } = ctx;
  const traces = await runAll(ctx, state.prompts, ctx.config.train);
  const trainMetric = await measureTrainPool(ctx, traces);
  if (trainMetric > state.bestTrainMetric + 1e-9) {
    state.bestTrainMetric = trainMetric;
    // The run returns the best graph it measured, not merely the last: a later round may regress.
    state.bestPrompts = { ...state.prompts };
    state.bestRound = round;
    state.roundsWithoutImprovement = 0;
  } else {
    state.roundsWithoutImprovement += 1;
  }
  return { value: trainMetric, traces };
}

/** The round summary (metric, |ℬ_mis| by category, spend; under a token cap, the round's figures). */
function reportRound(ctx: LoopContext, step: RoundEndStep, round: number, trainMetric: number, tokenCap?: RoundSummary["tokenCap"]): void {
  const { state, buffer } = ctx;
  const usage = ctx.workers.usage();
  state.rounds.push({
    epoch: step.epoch,
    round,
    trainMetric,
    bufferSize: buffer.size(),
    categories: Object.fromEntries([...buffer.countByCategory()].sort()),
    tokens: usage.tokens,
    usd: usage.usd,
    calls: usage.calls,
    // Recorded for the report only: the current graph, the best so far, where each agent's best stands.
    versions: { ...state.best },
    bestTrainMetric: state.bestTrainMetric,
    bestRound: state.bestRound,
    composite: Object.fromEntries(
      ctx.order.map((id) => [
        id,
        anchorOf(ctx, id, state.best[id] ?? "", successorsOf(ctx.config.graph, id).length > 0)?.composite ?? null,
      ]),
    ),
    bufferByAgent: Object.fromEntries(ctx.order.map((id) => [id, buffer.size(id)])),
    ...(tokenCap ? { tokenCap } : {}),
  });
}

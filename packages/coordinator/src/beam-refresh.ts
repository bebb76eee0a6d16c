/**
 * Beam Refresh (design rule 4, workflow step 4a): once other agents' bests moved, a beam's
 * cumulative scores were computed in a context that no longer exists. Every member is re-scored
 * against the agent's current global best on a fresh minibatch, J_new = R(p, p*) − 0.5 with the best
 * itself at 0, and the re-sorted beam may hand the best to another member.
 */
import { type Rng, promptVersion } from "@maspo/core";
import { meanFinalScore } from "@maspo/core";
import type { BeamMember } from "./beam.js";
import type { Evaluation } from "@maspo/core";
import { contextSignature } from "./gauss-seidel.js";
import { NEUTRAL, REFERENCE_J, refreshJ } from "./joint-score.js";
import { recordRefresh } from "./candidate-log.js";
import { keepTopKGuarded } from "./promotion-guard.js";
import { type LoopContext, contextPrompts, contextVersions, drawStepMinibatch, evaluate, runAll } from "./loop-context.js";
import { mine } from "./misalignment-mining.js";

/** Refresh is skipped only as a labelled ablation, and means nothing when each agent is optimized alone. */
export function refreshEnabled(ctx: LoopContext): boolean {
  return !ctx.config.ablations.noRefresh && !ctx.config.ablations.independent;
}

/** Beam Refresh: re-score every member against the current global best on a fresh minibatch; true when the best changed. */
export async function refreshBeam(ctx: LoopContext, agentId: string, rng: Rng, round: number): Promise<boolean> {
  const { state } = ctx;
  const beam = state.beams[agentId] ?? [];
  const bestPrompt = state.prompts[agentId] as string;
  const minibatch = drawStepMinibatch(ctx, agentId, rng);
  const base = await runAll(ctx, contextPrompts(ctx, agentId), minibatch);
  const scoredIn = contextSignature(agentId, contextVersions(ctx, agentId));
  const rescored = await Promise.all(
    beam.map(async (m): Promise<{ member: BeamMember; evaluation: Evaluation | null }> => {
      if (m.prompt === bestPrompt) {
        return { member: { ...m, J: REFERENCE_J, lenses: NEUTRAL, finalMetric: meanFinalScore(base), scoredIn }, evaluation: null };
      }
      const evaluation = await evaluate(ctx, agentId, m.prompt, bestPrompt, minibatch, base);
      state.malformedVerdicts += evaluation.malformedVerdicts;
      return {
        member: {
          ...m,
          J: refreshJ(evaluation.R),
          lenses: evaluation.lenses,
          finalMetric: evaluation.finalMetric,
          finalsCompared: evaluation.finalsCompared,
          scoredIn,
        },
        evaluation,
      };
    }),
  );
  mine(
    ctx,
    agentId,
    rescored.flatMap((r) => (r.evaluation ? [r.evaluation] : [])),
    round,
  );
  const members = rescored.map((r) => r.member);
  const byVersion = new Map(
    rescored.flatMap((r) => (r.evaluation ? [[r.member.version, { evaluation: r.evaluation, reference: bestPrompt }] as const] : [])),
  );
  const changed = await keepTopKGuarded(ctx, agentId, members, round, { scoreOf: (v) => byVersion.get(v), minibatch, base });
  recordRefresh(ctx, agentId, round, members, promptVersion(bestPrompt));
  return changed;
}

/**
 * The guard floors a run states up front (shared/maspo.md, "Inputs": final accuracy ≥ x, local
 * validity ≥ y, tokens per round ≤ z), each with an absolute meaning:
 * - `finalMetricFloor`: the task metric of the graph a promotion would create — the challenger's
 *   graph (every other agent at its current best) on the minibatch that put it first, its labelled
 *   examples — and of the returned set on held-out (report `floorBreaches`).
 * - `localValidityFloor`: the agent's local win rate against its INITIAL prompt, judged in both orders
 *   on that same minibatch (½ = as good as the initial prompt). The initial prompt is the one
 *   anchor that never moves, so the floor means the same in every round; a child that merely ties its
 *   parent keeps its parent's standing against it instead of reading as ½, and the measure needs no
 *   judge question beyond the pairwise one every lens already asks (a pointwise role score would).
 * A floor a promotion would break blocks it: the agent's best stays, the candidate stays in the beam
 * as a parent, and the breach is recorded where it happened (round, agent, the figures).
 * `tokensPerRoundMax` is enforced with reservations in the spend ledger: see round-token-cap.ts.
 */
import type { Evaluation, Example, Trace } from "@maspo/core";
import type { BeamMember } from "./beam.js";
import { type LoopContext, evaluate } from "./loop-context.js";
import type { GuardEvent } from "./run-state.js";

/** The scoring that put the challenger first, which the floors read first. */
export interface PromotionEvidence {
  challenger: BeamMember;
  /** The challenger against `reference` (its parent, or at Beam Refresh the current best) on `minibatch`. */
  evaluation: Evaluation;
  /** The prompt it was compared with there. */
  reference: string;
  minibatch: Example[];
  base: Trace[];
}

/** The floors a promotion would break (empty: none), recorded in the run's guard events. */
export async function promotionBreaches(
  ctx: LoopContext,
  agentId: string,
  round: number,
  evidence: PromotionEvidence,
): Promise<GuardEvent[]> {
  const { finalMetricFloor, localValidityFloor } = ctx.config.guards;
  const { challenger, evaluation } = evidence;
  const events: GuardEvent[] = [];
  if (finalMetricFloor !== null && evaluation.finalMetric !== null && evaluation.finalMetric < finalMetricFloor) {
    events.push({
      round,
      agent: agentId,
      guard: "finalMetricFloor",
      detail: `promoting ${challenger.version} would give a graph scoring ${evaluation.finalMetric.toFixed(3)} on its minibatch < floor ${finalMetricFloor}`,
    });
  }
  if (localValidityFloor !== null) {
    const local = await localVsInitial(ctx, agentId, evidence);
    if (local !== null && local < localValidityFloor) {
      events.push({
        round,
        agent: agentId,
        guard: "localValidityFloor",
        detail: `${challenger.version}'s local win rate against the initial prompt is ${local.toFixed(3)} < floor ${localValidityFloor}`,
      });
    }
  }
  ctx.state.guardEvents.push(...events);
  return events;
}

/** The challenger's local win rate against the agent's initial prompt: the promotion's own scoring when that was the reference, else one more. */
async function localVsInitial(ctx: LoopContext, agentId: string, evidence: PromotionEvidence): Promise<number | null> {
  const initial = ctx.config.initialPrompts[agentId];
  if (initial === undefined) return null;
  if (evidence.challenger.prompt === initial) return 0.5;
  if (evidence.reference === initial) return evidence.evaluation.lenses.local;
  const vsInitial = await evaluate(ctx, agentId, evidence.challenger.prompt, initial, evidence.minibatch, evidence.base);
  ctx.state.malformedVerdicts += vsInitial.malformedVerdicts;
  return vsInitial.lenses.local;
}

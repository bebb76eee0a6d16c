/**
 * The guard floors at a promotion (guard-floors.ts): before a member becomes its agent's global best
 * — from a step, a beam initialisation or a Beam Refresh — the floors are checked on the evaluation
 * that put it first (its step's against its parent, or its refresh's against the current best, on
 * that minibatch), and a breach keeps the incumbent first and the member in the beam as a parent.
 * With no floor set this is keepTopK, call for call.
 */
import type { Evaluation, Example, Trace } from "@maspo/core";
import type { BeamMember } from "./beam.js";
import { promotionBreaches } from "./guard-floors.js";
import { challengerOf, keepTopK } from "./keep-top-k.js";
import type { LoopContext } from "./loop-context.js";

/** How the step scored its members: each one's evaluation and the prompt it was compared with, on one minibatch. */
export interface StepScoring {
  scoreOf: (version: string) => { evaluation: Evaluation; reference: string } | undefined;
  minibatch: Example[];
  base: Trace[];
}

/** keepTopK, with a new first place held back when it would break a guard floor; true when the agent's best changed. */
export async function keepTopKGuarded(
  ctx: LoopContext,
  agentId: string,
  members: BeamMember[],
  round: number,
  scoring: StepScoring,
): Promise<boolean> {
  const { finalMetricFloor, localValidityFloor } = ctx.config.guards;
  const challenger = finalMetricFloor === null && localValidityFloor === null ? undefined : challengerOf(ctx, agentId, members);
  const score = challenger ? scoring.scoreOf(challenger.version) : undefined;
  if (!challenger || !score) return keepTopK(ctx, agentId, members);
  const breaches = await promotionBreaches(ctx, agentId, round, { challenger, ...score, minibatch: scoring.minibatch, base: scoring.base });
  if (breaches.length === 0) return keepTopK(ctx, agentId, members);
  const why = `kept as a parent: its promotion would break ${breaches.map((b) => `${b.guard} (${b.detail})`).join("; ")}`;
  return keepTopK(ctx, agentId, members, { holdIncumbent: { challenger: challenger.version, why } });
}

/** The scoring of a step's candidates against their parents, by prompt version. */
export function candidateScoring(
  candidates: readonly { parent: BeamMember; proposal: { prompt: string } }[],
  evaluations: readonly Evaluation[],
  versionOf: (prompt: string) => string,
  minibatch: Example[],
  base: Trace[],
): StepScoring {
  const byVersion = new Map(
    candidates.map(
      (c, i) => [versionOf(c.proposal.prompt), { evaluation: evaluations[i] as Evaluation, reference: c.parent.prompt }] as const,
    ),
  );
  return { scoreOf: (v) => byVersion.get(v), minibatch, base };
}

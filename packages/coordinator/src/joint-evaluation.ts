/**
 * Joint evaluation of a step's new candidates (workflow step 4c): each is scored against its own
 * beam parent through the three lenses on the step's shared minibatch (as it is proposed: see
 * candidate-pipeline.ts), becomes a beam member with the accumulated J, and joins the beam's
 * candidates only if it passes the guard floors. Beam
 * initialisation and the agent step both admit their children here, so they cannot drift apart.
 */
import { promptVersion } from "@maspo/core";
import type { BeamMember } from "./beam.js";
import type { Evaluation, Proposal } from "@maspo/core";
import { recordGuardRejected } from "./candidate-log.js";
import { passesGuards } from "./guard-floors.js";
import { childJ } from "./joint-score.js";
import type { LoopContext } from "./loop-context.js";

/** A proposed prompt and the beam member it was mutated from. */
export interface Candidate {
  parent: BeamMember;
  proposal: Proposal;
}

/** The beam member a scored proposal becomes: J accumulated on its parent's, lineage recorded. */
export function childMember(parent: BeamMember, proposal: Proposal, evaluation: Evaluation, round: number, scoredIn: string): BeamMember {
  return {
    version: promptVersion(proposal.prompt),
    prompt: proposal.prompt,
    J: childJ(evaluation.R, parent.J),
    lenses: evaluation.lenses,
    finalMetric: evaluation.finalMetric,
    ...(evaluation.finalsCompared !== undefined ? { finalsCompared: evaluation.finalsCompared } : {}),
    lineage: {
      parent: parent.version,
      operator: proposal.operator,
      traceIds: proposal.traceIds,
      hardNegativeIds: proposal.hardNegativeIds,
    },
    scoredIn,
    bornRound: round,
  };
}

/** Appends to `members` each evaluated candidate that passes the guard floors; counts malformed verdicts for the report. */
export function admitCandidates(
  ctx: LoopContext,
  agentId: string,
  round: number,
  scoredIn: string,
  candidates: readonly Candidate[],
  evaluations: readonly Evaluation[],
  members: BeamMember[],
): void {
  candidates.forEach((c, i) => {
    const evaluation = evaluations[i] as Evaluation;
    ctx.state.malformedVerdicts += evaluation.malformedVerdicts;
    const m = childMember(c.parent, c.proposal, evaluation, round, scoredIn);
    const guardEventsBefore = ctx.state.guardEvents.length;
    if (passesGuards(ctx, agentId, round, m)) members.push(m);
    else recordGuardRejected(ctx, agentId, m, ctx.state.guardEvents.slice(guardEventsBefore));
  });
}

/**
 * Joint evaluation of a step's new candidates (workflow step 4c): each is scored against its own
 * beam parent through the three lenses on the step's shared minibatch (as it is proposed: see
 * candidate-pipeline.ts) and becomes a beam member with the accumulated J; the guard floors apply
 * when one would become its agent's best (promotion-check.ts). Beam
 * initialisation and the agent step both admit their children here, so they cannot drift apart.
 */
import { promptVersion } from "@maspo/core";
import type { BeamMember } from "./beam.js";
import type { Evaluation, Proposal } from "@maspo/core";
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

/** Appends every evaluated candidate to `members` (the guard floors apply when one would be promoted: promotion-check.ts); counts malformed verdicts for the report. */
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
    members.push(childMember(c.parent, c.proposal, evaluation, round, scoredIn));
  });
}

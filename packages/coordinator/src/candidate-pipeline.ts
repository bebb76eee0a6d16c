/**
 * A step's mutations and their joint evaluation as one pipeline (workflow step 4b–c): a child goes to
 * joint evaluation as soon as it is proposed and every earlier mutation job of the step has answered,
 * instead of the whole batch of mutations being awaited first, so evaluator replicas work while the
 * mutator is still proposing. The candidates, their order, their de-duplication and every request
 * are exactly those of "mutate all, de-duplicate, evaluate all": only the waiting changes, so the
 * same spec and seed give the same prompts however the work is spread.
 */
import type { Evaluation, Example, Proposal, Trace } from "@maspo/core";
import type { BeamMember } from "./beam.js";
import { SeenPrompts } from "./candidate-dedupe.js";
import type { Candidate } from "./joint-evaluation.js";
import { type LoopContext, evaluate } from "./loop-context.js";

/** One mutation job in flight: its parent and the proposals it will give. */
export interface PendingMutation {
  parent: BeamMember;
  proposals: Promise<Proposal[]>;
}

export interface ScoredCandidates {
  candidates: Candidate[];
  /** In candidate order. */
  evaluations: Evaluation[];
}

/**
 * De-duplicates the jobs' proposals in job order against `existing` and each other, and scores each
 * new one against its parent on the step's minibatch the moment it is known to be new.
 */
export async function evaluateAsProposed(
  ctx: LoopContext,
  agentId: string,
  jobs: readonly PendingMutation[],
  existing: readonly string[],
  minibatch: Example[],
  base: Trace[],
): Promise<ScoredCandidates> {
  // A later job (or an evaluation) may fail while an earlier one is awaited: it is awaited below and
  // fails the step then, as Promise.all would; until then it must not count as unhandled.
  for (const job of jobs) job.proposals.catch(() => {});
  const seen = new SeenPrompts(existing);
  const candidates: Candidate[] = [];
  const evaluations: Promise<Evaluation>[] = [];
  for (const job of jobs) {
    for (const proposal of await job.proposals) {
      if (!seen.admit(proposal.prompt)) continue;
      candidates.push({ parent: job.parent, proposal });
      const evaluation = evaluate(ctx, agentId, proposal.prompt, job.parent.prompt, minibatch, base);
      evaluation.catch(() => {});
      evaluations.push(evaluation);
    }
  }
  return { candidates, evaluations: await Promise.all(evaluations) };
}

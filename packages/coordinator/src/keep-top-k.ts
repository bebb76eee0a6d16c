/**
 * Keep the top K by joint score (workflow step 4d), and Gauss-Seidel sync (step 5): when the first
 * place moves to another prompt, that prompt becomes the agent's global best at once, so every later
 * agent in the same round is scored against it. The first place goes only to a member whose graph
 * lenses may lead (beam.ts `mayLead`), so a local-only win cannot move the rest of the graph, and
 * that breaks no guard floor (promotion-guard.ts).
 */
import { type BeamMember, mayLead, selectTopK } from "./beam.js";
import { recordSelection } from "./candidate-log.js";
import type { LoopContext } from "./loop-context.js";

export interface TopKOptions {
  /** A would-be new best held back (a guard floor): the incumbent keeps the first place, and `why` says so. */
  holdIncumbent?: { challenger: string; why: string };
}

/** The member that would take the agent's first place from its current best, if any. */
export function challengerOf(ctx: LoopContext, agentId: string, members: readonly BeamMember[]): BeamMember | undefined {
  const incumbent = ctx.state.best[agentId];
  const top = selectTopK(members, ctx.config.search.beamSize, incumbent, (m) => mayLead(m, ctx.weights))[0];
  return top && incumbent !== undefined && top.version !== incumbent && members.some((m) => m.version === incumbent) ? top : undefined;
}

/** Replaces the agent's beam with the top K of `members`; true when its global best changed. */
export function keepTopK(ctx: LoopContext, agentId: string, members: BeamMember[], options: TopKOptions = {}): boolean {
  const { config, state, weights } = ctx;
  const previous = state.beams[agentId] ?? [];
  const previousBest = state.best[agentId];
  const canLead = options.holdIncumbent ? () => false : (m: BeamMember) => mayLead(m, weights);
  const beam = selectTopK(members, config.search.beamSize, state.best[agentId], canLead);
  state.beams[agentId] = beam;
  recordSelection(ctx, agentId, previous, members, beam, previousBest, options.holdIncumbent);
  const top = beam[0];
  if (top && top.version !== state.best[agentId]) {
    // Gauss-Seidel: the new best is what every later agent sees, starting now.
    state.best[agentId] = top.version;
    state.prompts[agentId] = top.prompt;
    return true;
  }
  return false;
}

/**
 * One agent's beam: its K best prompts with their cumulative centred scores J and lens scores.
 * The ordering is total (ties broken by version) so every process sorts a beam identically.
 */
import { LensScoresSchema, LineageSchema } from "@maspo/core";
import { z } from "zod";

export const BeamMemberSchema = z.object({
  version: z.string(),
  prompt: z.string(),
  /** Cumulative centred joint score: 0 means "as good as the reference it was anchored to". */
  J: z.number(),
  /** Lens win rates from its latest scoring (against its parent, or the global best at refresh). */
  lenses: LensScoresSchema,
  /** Mean final metric of the graph with this prompt on its latest minibatch, when labelled. */
  finalMetric: z.number().nullable(),
  /** From its latest scoring: did the global lens compare any two different final answers (Evaluation.finalsCompared)? */
  finalsCompared: z.boolean().optional(),
  lineage: LineageSchema,
  /** The context signature (other agents' best versions) its score was computed in. */
  scoredIn: z.string(),
  bornRound: z.number(),
});
export type BeamMember = z.infer<typeof BeamMemberSchema>;

export function compareMembers(a: BeamMember, b: BeamMember): number {
  if (b.J !== a.J) return b.J - a.J;
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}

/** J values closer than this are a tie: sums of the same win rates in another order differ in the last bits. */
const J_TIE = 1e-9;

/**
 * The top K by J, duplicates (same version) collapsed to the better-scored copy. When the current
 * best (`incumbent`) ties the top score it stays first: a child that only matches it (a paraphrase
 * scores exactly its parent's J) is no improvement, and promoting it would move every other agent's
 * context — and trigger their Beam Refresh — for nothing. `canLead` (see `mayLead`) may bar members from
 * the first place: it then goes to the best-ranked member allowed it, or the incumbent; the rest stay as parents.
 */
export function selectTopK(
  members: readonly BeamMember[],
  k: number,
  incumbent?: string,
  canLead: (m: BeamMember) => boolean = () => true,
): BeamMember[] {
  const byVersion = new Map<string, BeamMember>();
  for (const m of [...members].sort(compareMembers)) if (!byVersion.has(m.version)) byVersion.set(m.version, m);
  const sorted = [...byVersion.values()].sort(compareMembers);
  const at = incumbent === undefined ? -1 : sorted.findIndex((m) => m.version === incumbent);
  const held = sorted[at];
  const top = sorted[0];
  if (at > 0 && held && top && held.J >= top.J - J_TIE) sorted.unshift(...sorted.splice(at, 1));
  // The first place (the agent's global best) goes to the best-ranked member that may lead, or the incumbent.
  const lead = sorted.findIndex((m) => m.version === incumbent || canLead(m));
  if (lead > 0) sorted.unshift(...sorted.splice(lead, 1));
  return sorted.slice(0, k);
}

/** Lens weights as beam promotion reads them (the effective weights a candidate was scored with). */
export interface PromotionWeights {
  lookahead: number;
  global: number;
}

/**
 * May this member become its agent's global best (which moves every other agent's context)? Design
 * rule 1 (shared/maspo.md): "a prompt is good only if the whole graph's final outputs get better".
 * Read on its graph-level lenses — lookahead and global, weighted as in its joint reward, against
 * the prompt it was scored against:
 * - a gain leads;
 * - a loss does not, whatever its local margin: a joint reward above ½ bought locally while the
 *   successors or the final answers got worse is the misalignment MASPO exists to catch;
 * - a tie leads only when it was informative: when no final answer on the minibatch was right
 *   (a collapsed graph), every candidate ties globally, its whole margin is local, and promoting it
 *   is how a trap that starves its successors gets in and locks the collapse. Without labels (final
 *   metric null) the same reading: a tie leads only when the global lens compared some two different
 *   final answers (`finalsCompared`); when every final answer came out the same text — or two
 *   non-answers, two failures — the candidate's whole margin is local (unknown: it may lead).
 * A member stays in the beam as a parent either way. With no graph lens weighted (the local-only
 * ablation) every member may lead.
 * Interpretation, not in the paper: it decides only which beam member is promoted, never the scores.
 */
export function mayLead(m: BeamMember, weights: PromotionWeights): boolean {
  const lookahead = m.lenses.lookahead === null ? 0 : weights.lookahead;
  const total = lookahead + weights.global;
  if (total <= 0) return true;
  const graph = (lookahead * (m.lenses.lookahead ?? 0) + weights.global * m.lenses.global) / total;
  if (graph > 0.5 + J_TIE) return true;
  if (graph < 0.5 - J_TIE) return false;
  if (m.finalMetric === null) return m.finalsCompared !== false;
  return m.finalMetric > 0;
}

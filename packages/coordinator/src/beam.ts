/**
 * One agent's beam: its K best prompts with their cumulative centred scores J and lens scores.
 * The ordering is total (ties broken by version) so every process sorts a beam identically.
 */
import { z } from "zod";

export const LensScoresSchema = z.object({
  local: z.number(),
  lookahead: z.number().nullable(),
  global: z.number(),
});
export type LensScores = z.infer<typeof LensScoresSchema>;

export const LineageSchema = z.object({
  parent: z.string().nullable(),
  operator: z.string().nullable(),
  traceIds: z.array(z.string()),
  hardNegativeIds: z.array(z.string()),
});
export type Lineage = z.infer<typeof LineageSchema>;

export const BeamMemberSchema = z.object({
  version: z.string(),
  prompt: z.string(),
  /** Cumulative centred joint score: 0 means "as good as the reference it was anchored to". */
  J: z.number(),
  /** Lens win rates from its latest scoring (against its parent, or the global best at refresh). */
  lenses: LensScoresSchema,
  /** Mean final metric of the graph with this prompt on its latest minibatch, when labelled. */
  finalMetric: z.number().nullable(),
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
 * context — and trigger their Beam Refresh — for nothing.
 */
export function selectTopK(members: readonly BeamMember[], k: number, incumbent?: string): BeamMember[] {
  const byVersion = new Map<string, BeamMember>();
  for (const m of [...members].sort(compareMembers)) if (!byVersion.has(m.version)) byVersion.set(m.version, m);
  const sorted = [...byVersion.values()].sort(compareMembers);
  const at = incumbent === undefined ? -1 : sorted.findIndex((m) => m.version === incumbent);
  const held = sorted[at];
  const top = sorted[0];
  if (at > 0 && held && top && held.J >= top.J - J_TIE) sorted.unshift(...sorted.splice(at, 1));
  return sorted.slice(0, k);
}

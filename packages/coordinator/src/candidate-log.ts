/**
 * The run's record of its search, for the report (issue 14, "an honest report"): every evaluated
 * candidate with its lenses, lineage and verdict; every promotion to an agent's global best; and an
 * anchor per beam member that chains its pairwise margins back to the initial prompt, so the
 * trajectory's rows compare across rounds although each comparison has its own reference.
 *
 * Recording only: nothing here is read by the search, and no call is made for it. The loop calls
 * `recordSelection` (the top K of a step or an initialisation, with a promotion a confirmation or a
 * guard floor held back) and `recordRefresh` (a Beam Refresh).
 */
import { z } from "zod";
import { LensScoresSchema, promptVersion, successorsOf } from "@maspo/core";
import { type BeamMember, mayLead } from "./beam.js";
import type { LoopContext } from "./loop-context.js";
import type { RunState } from "./run-state.js";

/**
 * A member's lenses and composite against the *initial* prompt of its agent, as margins (0 = as good
 * as the initial prompt), estimated without a call: each comparison's margin (win rate − ½; for the
 * composite R − ½) added to the anchor of the prompt it was compared with, which goes back to the
 * initial prompt (all 0). An estimate: the margins were measured on different minibatches and, across
 * Beam Refreshes, in different contexts; the finish measures the final prompt against the initial one
 * directly (report `delta.perAgent`).
 */
export const AnchorSchema = z.object({
  local: z.number(),
  lookahead: z.number().nullable(),
  global: z.number(),
  composite: z.number(),
  /** The prompt version its latest lenses were measured against (itself for the initial prompt). */
  reference: z.string(),
  /** How: against its beam parent when proposed, against the agent's best at Beam Refresh, or the initial prompt itself. */
  via: z.enum(["initial", "parent", "refresh", "self"]),
});
export type Anchor = z.infer<typeof AnchorSchema>;

export const CANDIDATE_VERDICTS = ["promoted", "kept", "rejected"] as const;

/** One evaluated candidate: where it came from, how it scored against its parent, and what became of it. */
export const CandidateRecordSchema = z.object({
  agent: z.string(),
  /** The round it was proposed in (0: beam initialisation). */
  round: z.number(),
  version: z.string(),
  prompt: z.string(),
  /** Lineage: the beam parent it was mutated from, by which operator, from which traces and hard negatives. */
  parent: z.string(),
  operator: z.string().nullable(),
  traceIds: z.array(z.string()),
  hardNegativeIds: z.array(z.string()),
  /** Its lens win rates against its parent on the step's minibatch (½ = as good as the parent). */
  lenses: LensScoresSchema,
  /** Its cumulative centred joint score J (0 = as good as the beam's anchor). */
  J: z.number(),
  /** Mean task metric of the graph with it on the step's minibatch (labelled examples), or null. */
  finalMetric: z.number().nullable(),
  /** Its lenses and composite chained back to the initial prompt (see AnchorSchema), when known. */
  vsInitial: AnchorSchema.nullable(),
  /** At the step it was evaluated in — promoted: became its agent's global best; kept: stayed in the beam as a parent; rejected: dropped (`why` says which rule). */
  verdict: z.enum(CANDIDATE_VERDICTS),
  why: z.string(),
  /** Rounds in which a Beam Refresh later made it its agent's best. */
  promotedLater: z.array(z.number()).default([]),
});
export type CandidateRecord = z.infer<typeof CandidateRecordSchema>;

/** A change of an agent's global best: the current graph moves. */
export const PromotionSchema = z.object({
  round: z.number(),
  agent: z.string(),
  from: z.string(),
  to: z.string(),
  via: z.enum(["init", "step", "refresh"]),
});
export type Promotion = z.infer<typeof PromotionSchema>;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function anchorsOf(state: RunState, agentId: string): Record<string, Anchor> {
  state.anchors ??= {};
  state.anchors[agentId] ??= {};
  return state.anchors[agentId];
}

/** The anchor of an agent's prompt version: zero for its initial prompt; null when its chain is unknown (a checkpoint without anchors). */
export function anchorOf(
  ctx: Pick<LoopContext, "state" | "config">,
  agentId: string,
  version: string,
  withLookahead: boolean,
): Anchor | null {
  const initial = ctx.config.initialPrompts[agentId];
  if (initial !== undefined && promptVersion(initial) === version) {
    return { local: 0, lookahead: withLookahead ? 0 : null, global: 0, composite: 0, reference: version, via: "initial" };
  }
  return ctx.state.anchors?.[agentId]?.[version] ?? null;
}

/** Does the agent have a lookahead lens at all (immediate successors)? */
function hasLookahead(ctx: Pick<LoopContext, "config">, agentId: string): boolean {
  return successorsOf(ctx.config.graph, agentId).length > 0;
}

/** `base` plus the member's margins against its reference; null when the base is unknown. */
function chained(base: Anchor | null, m: BeamMember, compositeMargin: number, reference: string, via: Anchor["via"]): Anchor | null {
  if (base === null) return null;
  const la = m.lenses.lookahead;
  return {
    local: base.local + (m.lenses.local - 0.5),
    lookahead: la === null || base.lookahead === null ? null : base.lookahead + (la - 0.5),
    global: base.global + (m.lenses.global - 0.5),
    composite: base.composite + compositeMargin,
    reference,
    via,
  };
}

function log(state: RunState): CandidateRecord[] {
  state.candidates ??= [];
  return state.candidates;
}

function recordOf(
  m: BeamMember,
  agentId: string,
  verdict: CandidateRecord["verdict"],
  why: string,
  anchor: Anchor | null,
): CandidateRecord {
  return {
    agent: agentId,
    round: m.bornRound,
    version: m.version,
    prompt: m.prompt,
    parent: m.lineage.parent ?? m.version,
    operator: m.lineage.operator,
    traceIds: m.lineage.traceIds,
    hardNegativeIds: m.lineage.hardNegativeIds,
    lenses: m.lenses,
    J: m.J,
    finalMetric: m.finalMetric,
    vsInitial: anchor,
    verdict,
    why,
    promotedLater: [],
  };
}

/**
 * After a step's or an initialisation's top K: each new candidate's verdict (promoted, kept as a
 * parent, or dropped) and why, its anchor, and the promotion if the agent's best moved.
 */
export function recordSelection(
  ctx: LoopContext,
  agentId: string,
  previous: readonly BeamMember[],
  members: readonly BeamMember[],
  beam: readonly BeamMember[],
  previousBest: string | undefined,
  held?: { challenger: string; why: string },
): void {
  const { state } = ctx;
  const before = new Set(previous.map((m) => m.version));
  const fresh = members.filter((m) => !before.has(m.version));
  if (fresh.length === 0) return;
  const anchors = anchorsOf(state, agentId);
  const jOf = new Map(previous.map((m) => [m.version, m.J]));
  const rank = new Map(beam.map((m, i) => [m.version, i]));
  const top = beam[0];
  const last = beam[beam.length - 1];
  const K = ctx.config.search.beamSize;
  for (const m of fresh) {
    const parentVersion = m.lineage.parent ?? m.version;
    const base = anchorOf(ctx, agentId, parentVersion, hasLookahead(ctx, agentId));
    const anchor = chained(base, m, m.J - (jOf.get(parentVersion) ?? 0), parentVersion, "parent");
    const at = rank.get(m.version);
    let verdict: CandidateRecord["verdict"];
    let why: string;
    if (at === 0 && m.version !== previousBest) {
      verdict = "promoted";
      why = `first of the beam by J (${m.J.toFixed(3)}) with no loss on the graph lenses: became ${agentId}'s best`;
    } else if (at !== undefined) {
      verdict = "kept";
      why =
        held?.challenger === m.version
          ? held.why
          : !mayLead(m, ctx.weights)
            ? `kept as a parent only: its graph lenses against its parent (lookahead ${m.lenses.lookahead === null ? "—" : pct(m.lenses.lookahead)}, global ${pct(m.lenses.global)}) show no gain, so it may not lead`
            : `kept as a parent: J ${m.J.toFixed(3)}, not above the best's ${(top?.J ?? 0).toFixed(3)}`;
    } else {
      verdict = "rejected";
      why = `below the top K = ${K} by J (${m.J.toFixed(3)}; the K-th has ${(last?.J ?? 0).toFixed(3)})`;
    }
    if (anchor !== null && at !== undefined) anchors[m.version] = anchor;
    log(state).push(recordOf(m, agentId, verdict, why, anchor));
  }
  if (top && previousBest !== undefined && top.version !== previousBest) {
    const via = top.bornRound === 0 ? "init" : "step";
    promotions(state).push({ round: top.bornRound, agent: agentId, from: previousBest, to: top.version, via });
  }
}

function promotions(state: RunState): Promotion[] {
  state.promotions ??= [];
  return state.promotions;
}

/**
 * After a Beam Refresh: every member re-anchored through the best it was compared with, and, when the
 * refresh handed the best to another member, that promotion (also on the member's candidate record).
 */
export function recordRefresh(
  ctx: LoopContext,
  agentId: string,
  round: number,
  rescored: readonly BeamMember[],
  previousBest: string,
): void {
  const { state } = ctx;
  const anchors = anchorsOf(state, agentId);
  const base = anchorOf(ctx, agentId, previousBest, hasLookahead(ctx, agentId));
  for (const m of rescored) {
    // The best itself is its own reference now (neutral lenses): its anchor stays, its reference moves.
    if (m.version === previousBest) {
      if (base !== null && base.via !== "initial") anchors[m.version] = { ...base, reference: previousBest, via: "self" };
      continue;
    }
    const anchor = chained(base, m, m.J, previousBest, "refresh");
    if (anchor === null) delete anchors[m.version];
    else anchors[m.version] = anchor;
  }
  const now = state.best[agentId];
  if (now !== undefined && now !== previousBest) {
    promotions(state).push({ round, agent: agentId, from: previousBest, to: now, via: "refresh" });
    for (const r of log(state)) if (r.agent === agentId && r.version === now) r.promotedLater.push(round);
  }
}

/**
 * One agent's turn in an evolutionary round (workflow step 4, in Gauss-Seidel order): Beam Refresh
 * if the beam's context moved (a), a hybrid batch of trace-guided mutations of every beam member
 * (b), joint evaluation of the new candidates against their parents on one shared minibatch (c),
 * misalignment mining, and the top K (d); then one trajectory row for the report.
 */
import { Rng, deriveSeed, promptVersion, successorsOf } from "@maspo/core";
import type { Example, Trace } from "@maspo/core";
import type { BeamMember } from "./beam.js";
import { refreshBeam, refreshEnabled } from "./beam-refresh.js";
import { anchorOf } from "./candidate-log.js";
import { evaluateAsProposed } from "./candidate-pipeline.js";
import { contextSignature, isBeamStale } from "./gauss-seidel.js";
import { admitCandidates } from "./joint-evaluation.js";
import { type LoopContext, contextPrompts, contextVersions, drawStepMinibatch, evidence, propose, runAll } from "./loop-context.js";
import { hardNegativesFor, mine } from "./misalignment-mining.js";
import { hybridBatch } from "./operator-choice.js";
import { candidateScoring, keepTopKGuarded } from "./promotion-guard.js";
import type { TrajectoryRow } from "./run-state.js";
import type { Step } from "./step-plan.js";

type AgentStep = Extract<Step, { kind: "agent" }>;

export async function agentStep(ctx: LoopContext, step: AgentStep, round: number): Promise<void> {
  const { config, state } = ctx;
  const agentId = step.agent;
  const labels = [step.epoch, step.round, agentId, step.step] as const;
  let refreshed = false;
  const rng = Rng.derive(config.seed, "round", ...labels);
  const minibatch = drawStepMinibatch(ctx, agentId, rng);
  // Every member's traces on the step's minibatch start now, beside Beam Refresh rather than after it.
  const memberTraces = tracesOfMembers(ctx, agentId, state.beams[agentId] ?? [], minibatch);
  const stale = isBeamStale(state.beams[agentId] ?? [], agentId, contextVersions(ctx, agentId));
  if (stale && refreshEnabled(ctx)) {
    await refreshBeam(ctx, agentId, Rng.derive(config.seed, "refresh", ...labels), round);
    refreshed = true;
  }
  const prompts = contextPrompts(ctx, agentId);
  const tracesOf = (prompt: string): Promise<Trace[]> =>
    memberTraces.get(prompt) ?? runAll(ctx, { ...prompts, [agentId]: prompt }, minibatch);
  const base = await tracesOf(prompts[agentId] as string);
  const scoredIn = contextSignature(agentId, contextVersions(ctx, agentId));
  const parents = state.beams[agentId] ?? [];
  // The current best's traces are the base run; one promise per parent, so a parent's children need not wait for the others.
  const parentTraces = parents.map((p) => tracesOf(p.prompt));
  const jobs = hybridBatch(parents, config.search.childrenPerParent, config.search.operators, hardNegativesFor(ctx, agentId), rng, (p, c) =>
    deriveSeed(config.seed, "mutate", ...labels, p, c),
  );
  // Each job asks for its child as soon as its own parent's traces are in; each child is scored as soon as it is known to be new.
  const pending = jobs.map((j) => ({
    parent: j.parent,
    proposals: (parentTraces[j.parentIndex] as Promise<Trace[]>).then((traces) =>
      propose(ctx, agentId, j.parent, j.operator, evidence(traces), j.negatives, j.seed),
    ),
  }));
  const { candidates, evaluations } = await evaluateAsProposed(
    ctx,
    agentId,
    pending,
    parents.map((p) => p.prompt),
    minibatch,
    base,
  );
  const members = parents.map((p) => ({ ...p, scoredIn: p.scoredIn }));
  admitCandidates(ctx, agentId, round, scoredIn, candidates, evaluations, members);
  mine(ctx, agentId, evaluations, round);
  const scoring = candidateScoring(candidates, evaluations, promptVersion, minibatch, base);
  const changed = await keepTopKGuarded(ctx, agentId, members, round, scoring);
  state.trajectory.push(trajectoryRow(ctx, agentId, step.epoch, round, refreshed, changed));
}

/**
 * Every beam member's traces on the step's minibatch, with the other agents at their current best:
 * the best's are the step's base run, every other member's the evidence its children are mutated
 * from. None of it depends on what Beam Refresh decides — refresh re-scores and re-orders these same
 * members, changes no other agent's best, and mines only this agent's own cases, while the minibatch
 * injects its predecessors' — so it runs beside refresh instead of after it. The part of the graph
 * upstream of this agent is every member's, so it runs once.
 */
function tracesOfMembers(
  ctx: LoopContext,
  agentId: string,
  members: readonly BeamMember[],
  minibatch: readonly Example[],
): Map<string, Promise<Trace[]>> {
  const traces = new Map<string, Promise<Trace[]>>();
  const [first, ...rest] = members;
  if (!first) return traces;
  const others = contextPrompts(ctx, agentId);
  // The first member's whole-graph runs; every other member re-runs each example from this agent down
  // on that example's upstream outputs the moment they are in (they are every member's: only this
  // agent's prompt differs), rather than after the whole minibatch.
  const runs = minibatch.map((example) => ctx.workers.runGraph({ prompts: { ...others, [agentId]: first.prompt }, example }));
  traces.set(first.prompt, Promise.all(runs));
  for (const m of rest) {
    if (traces.has(m.prompt)) continue;
    const prompts = { ...others, [agentId]: m.prompt };
    traces.set(
      m.prompt,
      Promise.all(
        runs.map((run, i) =>
          run.then((base) => ctx.workers.runGraph({ prompts, example: minibatch[i] as Example, base, rerunFrom: agentId })),
        ),
      ),
    );
  }
  // Awaited by the step, or never when refresh dropped a member; a failure then must not go unhandled.
  for (const t of traces.values()) t.catch(() => {});
  return traces;
}

/** The report's row for this step: the agent's best after it, and whether refresh ran or the best moved. */
function trajectoryRow(
  ctx: LoopContext,
  agentId: string,
  epoch: number,
  round: number,
  refreshed: boolean,
  changed: boolean,
): TrajectoryRow {
  const top = (ctx.state.beams[agentId] ?? [])[0] as BeamMember;
  const withLookahead = successorsOf(ctx.config.graph, agentId).length > 0;
  const anchor = anchorOf(ctx, agentId, top.version, withLookahead);
  return {
    epoch,
    round,
    agent: agentId,
    best_local: top.lenses.local,
    best_lookahead: withLookahead ? top.lenses.lookahead : null,
    best_global: top.lenses.global,
    composite: top.J,
    beam_refresh_triggered: refreshed,
    best_changed: changed,
    best_version: top.version,
    ...(anchor ? { best_reference: { version: anchor.reference, via: anchor.via } } : {}),
    best_vs_initial: anchor,
    best_minibatch_metric: top.finalMetric,
  };
}

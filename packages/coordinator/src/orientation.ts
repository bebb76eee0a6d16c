/**
 * Orientation (workflow step 1, shared/maspo.md): measure the baseline, name the weakest lens and the
 * agent that most constrains global performance — the starting frontier — and let it steer.
 *
 * `orientation` runs the baseline graph on the whole train pool: the starting train metric — the
 * global lens of the baseline, absolute (final-measure.ts; without labels the baseline's win rate
 * against itself, ½ by definition) — and, per agent, how often its output was usable (status ok) and
 * how often all its one-hop successors' were, fed that output: absolute rates, no call made. The lenses need a second prompt to compare with (the
 * judge is pairwise), so `finishOrientation` reads them off the initial mutations once the last beam
 * is initialised: every first child is scored against its agent's INITIAL prompt — a fixed anchor, the
 * same one the guard floors and the trajectory use — so "headroom" (the best child's lens score − ½)
 * says how far the baseline prompt falls short on that lens, on one scale for every agent.
 *
 * - weakest lens: the lens with the largest mean headroom over the agents (where the baseline is most
 *   beatable);
 * - constraining agent: the agent whose first mutations moved the global lens most;
 * - frontier: when the constraining agent is not the first in topological order and its global headroom
 *   beats the first agent's by more than one standard error of a minibatch win rate (½/√n — a smaller
 *   lead is minibatch noise), the first round starts with it; every later round keeps the topological
 *   order (Gauss-Seidel). step-plan.ts reads the frontier, the report says what it changed.
 */
import { type Lens, successorsOf } from "@maspo/core";
import { measureTrainPool } from "./final-measure.js";
import { type LoopContext, runAll } from "./loop-context.js";
import { noteOrientationMeasure } from "./round-token-cap.js";

export async function orientation(ctx: LoopContext): Promise<void> {
  const { state, order } = ctx;
  const traces = await runAll(ctx, state.prompts, ctx.config.train);
  const failingAgents: Record<string, number> = {};
  for (const id of order) failingAgents[id] = traces.filter((t) => t.steps[id]?.status !== "ok").length;
  // Absolute rates off the baseline's own traces (no call): how often an agent's output was usable,
  // and how often every one-hop successor's was, fed that output.
  const usable = (id: string) => traces.filter((t) => t.steps[id]?.status === "ok");
  const baseline: Record<string, { usableOutput: number; successorsUsable: number | null }> = {};
  for (const id of order) {
    const ok = usable(id);
    const successors = successorsOf(ctx.config.graph, id);
    baseline[id] = {
      usableOutput: traces.length === 0 ? 0 : ok.length / traces.length,
      successorsUsable:
        successors.length === 0 || ok.length === 0
          ? null
          : ok.filter((t) => successors.every((s) => t.steps[s]?.status === "ok")).length / ok.length,
    };
  }
  state.orientation = {
    trainMetric: await measureTrainPool(ctx, traces, traces),
    failingAgents,
    baseline,
    weakestLens: null,
    constrainingAgent: null,
    frontier: null,
  };
  state.bestTrainMetric = state.orientation.trainMetric;
  noteOrientationMeasure(ctx, traces);
}

function mean(xs: readonly number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

const LENSES: readonly Lens[] = ["local", "lookahead", "global"];

export function finishOrientation(ctx: LoopContext): void {
  const { state, order } = ctx;
  if (!state.orientation) return;
  const headroom: Record<string, { local: number; lookahead: number | null; global: number }> = {};
  for (const id of order) {
    const children = (state.beams[id] ?? []).filter((m) => m.lineage.parent !== null);
    if (children.length === 0) continue;
    const best = (xs: number[]) => (xs.length === 0 ? null : Math.max(...xs) - 0.5);
    const lookahead = children.flatMap((m) => (m.lenses.lookahead === null ? [] : [m.lenses.lookahead]));
    headroom[id] = {
      local: best(children.map((m) => m.lenses.local)) ?? 0,
      lookahead: best(lookahead),
      global: best(children.map((m) => m.lenses.global)) ?? 0,
    };
  }
  const lensMeans = LENSES.flatMap((lens) => {
    const m = mean(Object.values(headroom).flatMap((h) => (h[lens] === null ? [] : [h[lens]])));
    return m === null ? [] : [{ lens, m }];
  });
  // Largest headroom first; on a tie the method's lens order (local, lookahead, global) decides.
  const weakest = lensMeans.filter((x) => x.m > 0).sort((a, b) => b.m - a.m)[0];
  let constraining: string | null = null;
  for (const id of order) {
    const h = headroom[id];
    if (h && h.global > 0 && (constraining === null || h.global > (headroom[constraining]?.global ?? 0))) constraining = id;
  }
  const margin = 0.5 / Math.sqrt(Math.max(1, ctx.config.search.minibatchSize));
  const first = order[0] as string;
  const lead = constraining === null ? 0 : (headroom[constraining]?.global ?? 0) - (headroom[first]?.global ?? 0);
  state.orientation.weakestLens = weakest?.lens ?? null;
  state.orientation.constrainingAgent = constraining;
  state.orientation.headroom = headroom;
  state.orientation.margin = margin;
  state.orientation.frontier = constraining !== null && constraining !== first && lead > margin ? constraining : null;
}

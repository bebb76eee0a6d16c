/**
 * Orientation (workflow step 1): the baseline graph on the whole train pool gives the starting train
 * metric (final-measure.ts; without labels the baseline's win rate against itself, ½ by definition)
 * and how often each agent failed to produce an output. The rest of orientation — the
 * weakest lens and the agent that most constrains global performance — needs candidate scores, so
 * `finishOrientation` reads it off the initial mutations once the last beam is initialised.
 */
import { measureTrainPool } from "./final-measure.js";
import { type LoopContext, runAll } from "./loop-context.js";
import { noteOrientationMeasure } from "./round-token-cap.js";

export async function orientation(ctx: LoopContext): Promise<void> {
  const { state, order } = ctx;
  const traces = await runAll(ctx, state.prompts, ctx.config.train);
  const failingAgents: Record<string, number> = {};
  for (const id of order) failingAgents[id] = traces.filter((t) => t.steps[id]?.status !== "ok").length;
  state.orientation = {
    trainMetric: await measureTrainPool(ctx, traces, traces),
    failingAgents,
    weakestLens: null,
    constrainingAgent: null,
  };
  state.bestTrainMetric = state.orientation.trainMetric;
  noteOrientationMeasure(ctx, traces);
}

function mean(xs: readonly number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function finishOrientation(ctx: LoopContext): void {
  const { state, order } = ctx;
  if (!state.orientation) return;
  // The weakest lens and the constraining agent come from the initial mutations' scores: where the
  // lenses are lowest, and which agent's best child moves the global lens most (the most headroom).
  const lensMeans: Record<string, number[]> = { local: [], lookahead: [], global: [] };
  let constraining: { agent: string; gain: number } | null = null;
  for (const id of order) {
    const children = (state.beams[id] ?? []).filter((m) => m.lineage.parent !== null);
    for (const m of children) {
      lensMeans.local?.push(m.lenses.local);
      if (m.lenses.lookahead !== null) lensMeans.lookahead?.push(m.lenses.lookahead);
      lensMeans.global?.push(m.lenses.global);
    }
    const gain = Math.max(0, ...children.map((m) => m.lenses.global - 0.5));
    if (constraining === null || gain > constraining.gain) constraining = { agent: id, gain };
  }
  const weakest = Object.entries(lensMeans)
    .flatMap(([lens, xs]) => {
      const m = mean(xs);
      return m === null ? [] : [{ lens, m }];
    })
    .sort((a, b) => a.m - b.m)[0];
  state.orientation.weakestLens = weakest?.lens ?? null;
  state.orientation.constrainingAgent = constraining?.agent ?? null;
}

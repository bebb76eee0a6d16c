/**
 * For a run on a simlm world: the world's oracle on the run's own held-out split (no LLM call — the
 * oracle computes expected scores from the world's model) and the share of its gap the run closed,
 * (achieved − floor) / (ceiling − floor), measured (the held-out result, when it is the task metric)
 * and expected (the final prompts' noise-free score). The report quotes it; benchmarks read it the same way.
 */
import { compileWorld, detectDirectives, expectedScore, oracle, recogniseAgent, type World } from "@maspo/simlm";

export interface OracleGap {
  floor: number;
  ceiling: number;
  /** The final prompts' expected held-out score; null when a prompt no longer names its agent's role (the oracle's model does not cover it). */
  expectedFinal: number | null;
  /** null when held-out is a judged win rate (a run without labels): not a score the oracle's gap is in. */
  gapClosed: number | null;
  expectedGapClosed: number | null;
}

/**
 * The world as the oracle needs it: its held-out split as sized, its train split as small as the world
 * allows. The oracle generates the world's data and reads only held-out, which simlm seeds on its
 * own (the train split's size does not change it), so a run on 50k train examples does not generate
 * them all again for its report.
 */
function heldOutOnly(world: World): World {
  return { ...world, data: { ...world.data, train: 1 } };
}

/** The expected held-out score of a prompt set, or null when simlm would not recognise every agent in it. */
export function expectedScoreOf(world: World, prompts: Record<string, string>): number | null {
  const cw = compileWorld(world);
  if (world.agents.some((a) => recogniseAgent(cw, prompts[a.id] ?? "")?.id !== a.id)) return null;
  const assignment = Object.fromEntries(world.agents.map((a) => [a.id, detectDirectives(a, prompts[a.id] ?? "")]));
  return expectedScore(heldOutOnly(world), assignment);
}

/** The oracle's floor and ceiling for the world (sized as the run's), and the gap the run's result closed. */
export function oracleGapOf(world: World, heldOutFinal: number | null, finalPrompts: Record<string, string>): OracleGap {
  const { floor, ceiling } = oracle(heldOutOnly(world));
  const width = ceiling - floor;
  const expectedFinal = expectedScoreOf(world, finalPrompts);
  return {
    floor,
    ceiling,
    expectedFinal,
    gapClosed: heldOutFinal === null ? null : width === 0 ? 0 : (heldOutFinal - floor) / width,
    expectedGapClosed: expectedFinal === null || width === 0 ? null : (expectedFinal - floor) / width,
  };
}

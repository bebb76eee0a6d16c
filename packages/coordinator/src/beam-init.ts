/**
 * Initialize beam (workflow step 2): per agent, the initial prompt 𝒫⁽⁰⁾ as the root (J = 0) and
 * K−1 trace-guided mutations of it, each scored against the root on one shared minibatch. The best
 * per agent becomes the current global graph, so later agents initialise against it (Gauss-Seidel).
 * After the last agent, orientation is completed from these first scores.
 */
import { Rng, deriveSeed, promptVersion } from "@maspo/core";
import { meanFinalScore } from "@maspo/core";
import type { BeamMember } from "./beam.js";
import { evaluateAsProposed } from "./candidate-pipeline.js";
import { contextSignature } from "./gauss-seidel.js";
import { admitCandidates } from "./joint-evaluation.js";
import { NEUTRAL, REFERENCE_J } from "./joint-score.js";
import { type LoopContext, contextPrompts, contextVersions, drawStepMinibatch, evidence, propose, runAll } from "./loop-context.js";
import { mine } from "./misalignment-mining.js";
import { initOperators } from "./operator-choice.js";
import { finishOrientation } from "./orientation.js";
import { candidateScoring, keepTopKGuarded } from "./promotion-guard.js";

export async function initBeam(ctx: LoopContext, agentId: string): Promise<void> {
  const { config, state, order } = ctx;
  const rng = Rng.derive(config.seed, "init", agentId);
  const initial = state.prompts[agentId] as string;
  const minibatch = drawStepMinibatch(ctx, agentId, rng);
  const base = await runAll(ctx, contextPrompts(ctx, agentId), minibatch);
  const scoredIn = contextSignature(agentId, contextVersions(ctx, agentId));
  const root: BeamMember = {
    version: promptVersion(initial),
    prompt: initial,
    J: REFERENCE_J,
    lenses: NEUTRAL,
    finalMetric: meanFinalScore(base),
    lineage: { parent: null, operator: null, traceIds: [], hardNegativeIds: [] },
    scoredIn,
    bornRound: 0,
  };
  // The root is the beam while the first mutations are asked for: the mutator is told not to repeat it.
  state.beams[agentId] = [root];
  const operators = initOperators(config.search.operators, rng, config.search.beamSize - 1);
  const pending = operators.map((operator, i) => ({
    parent: root,
    proposals: propose(ctx, agentId, root, operator, evidence(base), [], deriveSeed(config.seed, "init", agentId, i)),
  }));
  const { candidates, evaluations } = await evaluateAsProposed(ctx, agentId, pending, [initial], minibatch, base);
  const members = [root];
  admitCandidates(ctx, agentId, 0, scoredIn, candidates, evaluations, members);
  mine(ctx, agentId, evaluations, 0);
  await keepTopKGuarded(ctx, agentId, members, 0, candidateScoring(candidates, evaluations, promptVersion, minibatch, base));
  if (agentId === order[order.length - 1]) finishOrientation(ctx);
}

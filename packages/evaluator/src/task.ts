/**
 * The evaluator's task adapter: an evaluate request of the worker protocol answered by
 * evaluateCandidate, its comparison reduced to the protocol's Evaluation (joint reward, lens scores,
 * final metric, the misalignment cases it found). Registered with the task handler (@maspo/cluster).
 */
import { type EvaluateRequest, type Evaluation, type TaskAdapter, meanFinalScore } from "@maspo/core";
import { evaluateCandidate } from "./evaluate-candidate.js";
import { findMisalignments } from "./misalignment.js";

export const evaluateTask: TaskAdapter<EvaluateRequest, Evaluation> = async (ctx, req) => {
  const globalOnly = req.weights.local === 0 && req.weights.lookahead === 0;
  const e = await evaluateCandidate({
    graph: ctx.graph,
    llm: ctx.llm,
    ...(ctx.scoreFinal ? { scoreFinal: ctx.scoreFinal } : {}),
    ...(ctx.hasAnswer ? { hasAnswer: ctx.hasAnswer } : {}),
    agentId: req.agentId,
    candidate: req.candidate,
    reference: req.reference,
    prompts: req.prompts,
    minibatch: req.minibatch,
    baseTraces: req.baseTraces,
    judgeModels: ctx.judgeModels,
    weights: req.weights,
    seed: ctx.seed,
    ablations: { noLookahead: !req.lookahead, globalOnly },
    ...(ctx.task ? { taskDescription: ctx.task } : {}),
  });
  return {
    R: e.reward,
    // A lens the ablation did not measure is reported as a tie, never as a win or a loss.
    lenses: { local: e.scores.local ?? 0.5, lookahead: e.scores.lookahead, global: e.scores.global },
    finalMetric: meanFinalScore(e.examples.map((x) => x.candidateTrace)),
    finalsCompared: e.examples.some((x) => x.global.method === "judge" || x.global.score !== 0.5),
    cases: findMisalignments(e),
    malformedVerdicts: e.malformedVerdicts,
  };
};

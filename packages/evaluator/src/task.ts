/**
 * The evaluator's task adapters: an evaluate request of the worker protocol answered by
 * evaluateCandidate, its comparison reduced per example (evaluateShardTask: one shard of a
 * candidate's minibatch, which the coordinator folds with the other shards) or folded at once into
 * the protocol's Evaluation (evaluateTask: joint reward, lens scores, final metric, the misalignment
 * cases it found). Both go through the one fold (@maspo/core evaluation-shards.ts), so a sharded
 * evaluation is the unsharded one, bit for bit. Registered with the task handler (@maspo/cluster).
 */
import { type EvaluateRequest, type Evaluation, type EvaluationShard, type TaskAdapter, foldEvaluationShards } from "@maspo/core";
import { evaluateCandidate } from "./evaluate-candidate.js";
import { findMisalignments } from "./misalignment.js";

export const evaluateShardTask: TaskAdapter<EvaluateRequest, EvaluationShard> = async (ctx, req) => {
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
    examples: e.examples.map((x) => ({
      exampleId: x.exampleId,
      reward: x.reward,
      local: x.local?.score ?? null,
      lookahead: x.lookahead?.score ?? null,
      global: x.global.score,
      ...(x.candidateTrace.finalScore !== undefined ? { finalScore: x.candidateTrace.finalScore } : {}),
      finalCompared: x.global.method === "judge" || x.global.score !== 0.5,
    })),
    cases: findMisalignments(e),
    malformedVerdicts: e.malformedVerdicts,
  };
};

export const evaluateTask: TaskAdapter<EvaluateRequest, Evaluation> = async (ctx, req) =>
  foldEvaluationShards([await evaluateShardTask(ctx, req)]);

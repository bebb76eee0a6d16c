/**
 * The evaluator's label-free measure of a prompt set (a compareFinals task of the worker protocol):
 * two final answers of the whole system to one example — the current graph's and the baseline
 * graph's — judged against each other with the global lens's question, in both orders so the judge's
 * position bias cancels. No label is read: the example's label, if any, is not shown to the judge.
 * The rules are the global lens's (evaluate-candidate.ts): a final step that failed (error, empty,
 * refusal) loses to one that answered without a judge call, two failures tie, and two identical
 * answers tie without a call.
 */
import type { CompareFinalsRequest, FinalAnswer, FinalComparison, TaskAdapter } from "@maspo/core";
import { comparePairwise } from "./pairwise.js";

/** A failed final step against a working one: decided without the judge; undefined when both answered. */
function failureScore(candidate: FinalAnswer, reference: FinalAnswer): number | undefined {
  const candOk = candidate.status === "ok";
  const refOk = reference.status === "ok";
  if (candOk && refOk) return undefined;
  if (candOk) return 1;
  if (refOk) return 0;
  return 0.5;
}

/**
 * The task's answer contract, when it states one: a final output without an answer in the required
 * form loses to one with it, two without tie; undefined when both answer (the judge decides).
 */
export function answerContractScore(
  hasAnswer: ((output: string) => boolean) | undefined,
  candidate: string,
  reference: string,
): number | undefined {
  if (!hasAnswer) return undefined;
  const c = hasAnswer(candidate);
  const r = hasAnswer(reference);
  if (c && r) return undefined;
  return c ? 1 : r ? 0 : 0.5;
}

export const compareFinalsTask: TaskAdapter<CompareFinalsRequest, FinalComparison> = async (ctx, req) => {
  const failed = failureScore(req.candidate, req.reference);
  if (failed !== undefined) return { score: failed, method: "failure", malformedVerdicts: 0 };
  const unanswered = answerContractScore(ctx.hasAnswer, req.candidate.output, req.reference.output);
  if (unanswered !== undefined) return { score: unanswered, method: "no-answer", malformedVerdicts: 0 };
  const pair = await comparePairwise({
    llm: ctx.llm,
    endpointId: ctx.judgeModels.global,
    seed: ctx.seed,
    question: { lens: "global", task: req.example.input, ...(ctx.task ? { taskDescription: ctx.task } : {}) },
    candidate: req.candidate.output,
    reference: req.reference.output,
  });
  return { score: pair.score, method: pair.method, malformedVerdicts: pair.malformed };
};

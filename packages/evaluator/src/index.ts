/**
 * @maspo/evaluator: the three MASPO lenses of a candidate prompt against a reference, judged pairwise
 * in both orders; the joint reward; the misalignment cases a comparison shows; and the label-free
 * comparison of two final answers (compareFinalsTask).
 *
 * @example
 * ```ts
 * import { compareFinalsTask, evaluateTask } from "@maspo/evaluator";
 * // ctx: a WorkerContext (graph, llm, seed, judgeModels, optimizer, scoreFinal) — see @maspo/core
 * const { R, lenses, cases } = await evaluateTask(ctx, {
 *   agentId: "solver", candidate, reference, prompts, minibatch, baseTraces,
 *   weights: { local: 0.25, lookahead: 0.35, global: 0.4 }, lookahead: true,
 * });
 * // a label-free run's measure: two final answers to one example, judged in both orders
 * const { score } = await compareFinalsTask(ctx, { example, candidate: { output, status: "ok" }, reference });
 * ```
 */
export { evaluateShardTask, evaluateTask } from "./task.js";
export { compareFinalsTask } from "./compare-finals.js";
export {
  EvaluationError,
  evaluateCandidate,
  type CandidateComparison,
  type EvaluateCandidateInput,
  type ExampleEvaluation,
  type LensOutcome,
  type LookaheadOutcome,
} from "./evaluate-candidate.js";
export { findMisalignments } from "./misalignment.js";

/** @maspo/evaluator: the three MASPO lenses, pairwise judging, the joint reward and misalignment mining. */
export {
  EvaluationError,
  evaluateCandidate,
  type EvaluateCandidateInput,
  type CandidateComparison,
  type ExampleEvaluation,
  type LensOutcome,
  type LookaheadOutcome,
} from "./evaluate-candidate.js";
export {
  EvaluationRequestSchema,
  JudgeModelsSchema,
  validateEvaluationRequest,
  type EvaluationRequest,
  type JudgeModels,
} from "./evaluation-request.js";
export { LensAblationsSchema, effectiveWeights, jointReward, type LensAblations, type MeasuredLenses } from "./joint-reward.js";
export { VERDICT_FORMAT, buildJudgeMessages, judgeSystemMessage, type JudgeQuestion } from "./judge-prompts.js";
export {
  categoryOf,
  countByCategory,
  findMisalignments,
  findTraceMisalignments,
  reasonSignature,
  type MisalignmentThresholds,
  type TraceMisalignmentInput,
} from "./misalignment.js";
export { candidateScore, comparePairwise, type OrderOutcome, type PairwiseInput, type PairwiseOutcome } from "./pairwise.js";
export {
  DEFAULT_JUDGE_ATTEMPTS,
  askJudge,
  normaliseWinner,
  parseVerdict,
  type AskJudgeInput,
  type JudgeOutcome,
  type ParsedVerdict,
  type Verdict,
  type Winner,
} from "./verdict.js";
export { evaluateTask } from "./task.js";

/**
 * @maspo/evaluator/internal: the evaluator's building blocks — the evaluation request, the joint
 * reward's weights, judge prompts, pairwise comparison, verdict parsing, misalignment categories —
 * for tests and tools that take the evaluator apart. Not part of the documented API: it may change.
 */
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
export {
  candidateScore,
  comparePairwise,
  withoutPositionLabels,
  type OrderOutcome,
  type PairwiseInput,
  type PairwiseOutcome,
} from "./pairwise.js";
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

/** @maspo/evaluator: the three MASPO lenses, pairwise judging, the joint reward and misalignment mining. */
export { splitAgentContext, renderUpstream, type AgentContextParts } from "./agent-context.js";
export { addTallies, EMPTY_TALLY, tallyOf, type CallTally } from "./call-tally.js";
export { centred, childJoint, refreshedJoint } from "./cumulative-score.js";
export {
  EvaluationError,
  evaluateCandidate,
  type EvaluateCandidateInput,
  type Evaluation,
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
export {
  AblationsSchema,
  LensWeightsSchema,
  effectiveWeights,
  jointReward,
  type Ablations,
  type LensScores,
  type LensWeights,
} from "./joint-reward.js";
export { fieldOf, jsonValuesIn } from "./json-in-text.js";
export { VERDICT_FORMAT, buildJudgeMessages, judgeSystemMessage, type JudgeQuestion } from "./judge-prompts.js";
export {
  MisalignmentCaseSchema,
  categoryOf,
  countByCategory,
  findMisalignments,
  findTraceMisalignments,
  reasonSignature,
  strongestPerAgent,
  type MisalignmentCase,
  type MisalignmentThresholds,
  type TraceMisalignmentInput,
} from "./misalignment.js";
export { candidateScore, comparePairwise, type OrderOutcome, type PairwiseInput, type PairwiseOutcome } from "./pairwise.js";
export { excerpt } from "./text-excerpt.js";
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

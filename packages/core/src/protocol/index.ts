/** The worker protocol: ids, traces, lens vocabulary, the requests and their results, task kinds and ids. */
export { RunIdSchema, TaskIdSchema, WORKER_ROLES, WorkerRoleSchema, type WorkerRole } from "./ids.js";
export {
  AgentStepSchema,
  ExampleSchema,
  TraceSchema,
  meanFinalScore,
  type AgentStep,
  type AgentStepStatus,
  type Example,
  type Trace,
} from "./trace.js";
export {
  ABLATION_FLAGS,
  ABLATION_WARNINGS,
  AblationsSchema,
  JointWeightsSchema,
  LensScoresSchema,
  LineageSchema,
  NEUTRAL_LENSES,
  NO_ABLATIONS,
  ablationNames,
  type Ablations,
  type JointWeights,
  type LensScores,
  type Lineage,
} from "./lenses.js";
export {
  LlmAccountingRowSchema,
  LlmCountersSchema,
  RoundTokenCapSchema,
  RunSpendSchema,
  llmAccountingSnapshotSchema,
  usageTotalsOf,
  type LlmAccountingRow,
  type LlmAccountingSnapshot,
  type LlmCounters,
  type RoundTokenCap,
  type RunSpend,
  type UsageTotals,
} from "./llm-usage.js";
export {
  CompareFinalsRequestSchema,
  EvaluateRequestSchema,
  EvaluationSchema,
  FinalAnswerSchema,
  FinalComparisonSchema,
  MutateRequestSchema,
  ProposalSchema,
  ProposalsSchema,
  RunGraphRequestSchema,
  type CompareFinalsRequest,
  type EngineWorkers,
  type EvaluateRequest,
  type Evaluation,
  type FinalAnswer,
  type FinalComparison,
  type HardNegative,
  type MutateRequest,
  type Proposal,
  type RunGraphRequest,
} from "./worker-requests.js";
export {
  PROBE_KINDS,
  TASK_KINDS,
  TaskKindSchema,
  type ProbeKind,
  TaskOutputSchema,
  taskIdFor,
  type TaskKind,
  type TaskOutput,
} from "./task-kinds.js";
export type { FinalScorer, TaskAdapter, WorkerContext } from "./worker-context.js";
export { TaskDescriptionSchema, renderTaskDescription, type TaskDescription } from "./task-description.js";
export {
  DEFAULT_EVALUATION_SHARD_SIZE,
  EvaluationShardSchema,
  ExampleScoreSchema,
  foldEvaluationShards,
  shardEvaluateRequest,
  type EvaluationShard,
  type ExampleScore,
} from "./evaluation-shards.js";
export {
  EndpointProbeSchema,
  PROBE_PROBLEMS,
  ProbeReportSchema,
  ProbeRequestSchema,
  type EndpointProbe,
  type ProbeProblem,
  type ProbeReport,
  type ProbeRequest,
} from "./endpoint-probe.js";

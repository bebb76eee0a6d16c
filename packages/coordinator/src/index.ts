/** @maspo/coordinator: the MASPO loop, its state, and the report. */
export { BeamMemberSchema, compareMembers, selectTopK, type BeamMember, type LensScores, type Lineage } from "./beam.js";
export {
  EvaluateRequestSchema,
  EvaluationSchema,
  JointWeightsSchema,
  MutateRequestSchema,
  ProposalSchema,
  ProposalsSchema,
  RunGraphRequestSchema,
  type EngineWorkers,
  type EvaluateRequest,
  type Evaluation,
  type HardNegative,
  type JointWeights,
  type MutateRequest,
  type Proposal,
  type RunGraphRequest,
  type UsageTotals,
} from "./engine-workers.js";
export { contextSignature, gaussSeidelOrder, isBeamStale } from "./gauss-seidel.js";
export { drawMinibatch } from "./minibatch.js";
export { MisalignmentBuffer, type BufferedCase } from "./misalignment-buffer.js";
export {
  NO_ABLATIONS,
  ablatedWeights,
  initialState,
  normalizePrompt,
  optimize,
  type Ablations,
  type OptimizeConfig,
  type OptimizeHooks,
  type OptimizeResult,
  type StepEvent,
} from "./optimize.js";
export { RunStateSchema, type GuardEvent, type RoundSummary, type RunState, type TrajectoryRow } from "./run-state.js";
export { describeStep, globalRound, planSteps, type Step } from "./step-plan.js";
export { buildReport, categoryTrends, type BuildReportInput, type UnrepairedCase } from "./report/build-report.js";
export { renderHtml, trajectorySvg } from "./report/render-html.js";
export { renderMarkdown } from "./report/render-markdown.js";
export { ReportSchema, type Report } from "./report/report-schema.js";
export { finish, splitHash, type FinishInput, type FinishResult } from "./finish.js";
export { createEmbeddedWorkers, evaluateTask, mutateTask, runGraphTask, type WorkerContext } from "./embedded-workers.js";
export {
  CheckpointMismatchError,
  CheckpointSchema,
  FileCheckpointStore,
  assertResumable,
  type Checkpoint,
  type CheckpointStore,
} from "./checkpoint-store.js";
// Cluster mode: the task protocol, the coordinator's JetStream-backed workers, the worker processes'
// task handler, and the run record (spec + checkpoint) in JetStream KV.
export { TASK_KINDS, TaskKindSchema, TaskOutputSchema, taskIdFor, type TaskKind, type TaskOutput } from "./cluster/task-protocol.js";
export { measureTaskUsage, type TaskUsage } from "./cluster/task-usage.js";
export { createTaskHandler, type TaskHandlerOptions } from "./cluster/task-handler.js";
export {
  ClusterTaskError,
  ResultsLostError,
  startClusterWorkers,
  usageTotals,
  type ClusterWorkers,
  type ClusterWorkersEvent,
  type ClusterWorkersOptions,
} from "./cluster/cluster-workers.js";
export {
  RunExistsError,
  RunNotFoundError,
  RunRecordSchema,
  RunRecordStore,
  readRunRecord,
  type NewRun,
  type RunRecord,
} from "./cluster/run-record-store.js";
export { runSnapshotOf } from "./cluster/run-snapshot.js";

/** @maspo/coordinator: the MASPO loop, its state, and the report. */
export { BeamMemberSchema, compareMembers, selectTopK, type BeamMember } from "./beam.js";
export { contextSignature, gaussSeidelOrder, isBeamStale } from "./gauss-seidel.js";
export { drawMinibatch } from "./minibatch.js";
export { MisalignmentBuffer, type BufferedCase } from "./misalignment-buffer.js";
export {
  ablatedWeights,
  initialState,
  optimize,
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
export {
  CheckpointMismatchError,
  CheckpointSchema,
  FileCheckpointStore,
  assertResumable,
  type Checkpoint,
  type CheckpointStore,
} from "./checkpoint-store.js";

/**
 * @maspo/coordinator/internal: the loop's parts — beam, Gauss-Seidel order, minibatches, the
 * misalignment buffer, the step plan, report helpers — for tests and tools that drive pieces of the
 * loop. Not part of the documented API: it may change.
 */
export { BeamMemberSchema, compareMembers, selectTopK, type BeamMember } from "./beam.js";
export { contextSignature, gaussSeidelOrder, isBeamStale } from "./gauss-seidel.js";
export { drawMinibatch } from "./minibatch.js";
export { MisalignmentBuffer, type BufferedCase } from "./misalignment-buffer.js";
export { initialState } from "./optimize.js";
export { describeStep, planSteps, type Step } from "./step-plan.js";
export { costSplit, type BuildReportInput, type UnrepairedCase } from "./report/build-report.js";
export { misalignmentSummary, longestGrowth } from "./report/misalignment-summary.js";
export { heldOutFailures, statesLabel } from "./report/held-out-failures.js";
export { trajectorySvg } from "./report/render-html.js";
export { splitHash } from "./finish.js";
export { type GuardEvent, type RoundSummary, type TrajectoryRow } from "./run-state.js";

/**
 * @maspo/coordinator: the MASPO loop as named steps over the worker protocol, its checkpointed state,
 * the finish on the held-out split, and the report. Pure: workers, checkpoints and progress are given.
 *
 * @example
 * ```ts
 * import { finish, optimize, buildReport, renderMarkdown } from "@maspo/coordinator";
 * const result = await optimize(config, workers, { onStep: (e) => store.save(e.state) });
 * // result.finalPrompts: the best prompt set measured on the train pool
 * ```
 */
export { ablatedWeights, optimize, type OptimizeConfig, type OptimizeHooks, type OptimizeResult, type StepEvent } from "./optimize.js";
export { RunStateSchema, type RunState } from "./run-state.js";
export { globalRound } from "./step-plan.js";
export { buildReport } from "./report/build-report.js";
export { renderHtml } from "./report/render-html.js";
export { renderMarkdown } from "./report/render-markdown.js";
export { ReportSchema, type Report } from "./report/report-schema.js";
export { floorBreachText } from "./report/report-text.js";
export { finish, type FinishInput, type FinishResult } from "./finish.js";
export { FINAL_MEASURE_NAMES, type FinalMeasure } from "./final-measure.js";
export { STOP_KINDS, stopKind, type StopKind } from "./stop-kind.js";
export {
  CheckpointMismatchError,
  CheckpointSchema,
  FileCheckpointStore,
  assertResumable,
  type Checkpoint,
  type CheckpointStore,
} from "./checkpoint-store.js";

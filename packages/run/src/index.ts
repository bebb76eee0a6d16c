/**
 * @maspo/run: a maspo run as a library — spec → data and config → optimize → finish → report files —
 * in one process (the embedded default: the worker protocol's tasks go through the same task handler
 * over an in-process queue) or as the coordinator of a NATS JetStream cluster, plus the worker loop a
 * cluster's executor, evaluator and mutator processes run.
 *
 * @example
 * ```ts
 * import { loadSpecFile, NO_ABLATIONS } from "@maspo/core";
 * import { runEmbedded, SILENT_PROGRESS } from "@maspo/run";
 *
 * const spec = await loadSpecFile("examples/math-chain.yaml", { env: process.env });
 * const { report, files } = await runEmbedded({
 *   spec, specDir: "examples", outDir: "maspo-out/demo", resume: false,
 *   ablations: NO_ABLATIONS, env: process.env, progress: SILENT_PROGRESS,
 * });
 * console.log(JSON.stringify(report.delta.heldOut), files.md);
 * ```
 */
export { runEmbedded, type EmbeddedRunOptions } from "./embedded-run.js";
export { clusterRunId, runCluster, type ClusterRunOptions, type ClusterRunResult } from "./cluster-run.js";
export { runWorker, type WorkerOptions } from "./worker-loop.js";
export { SILENT_PROGRESS, type RunProgress } from "./run-progress.js";
export { llmUsesOf, type RunMetricsOptions } from "./run-metrics.js";
export { PreflightError, endpointsByRole, preflight } from "./preflight.js";
export { TASK_ADAPTERS } from "./task-adapters.js";
// The final metrics that run something: code against tests in the sandbox, and the user's own module.
export { codeTestsScorer, testsOf, type CodeTestsScorerOptions } from "./code-tests/code-tests-metric.js";
export {
  SandboxError,
  networkIsolation,
  runTestsInSandbox,
  type NetworkIsolation,
  type SandboxRequest,
  type SandboxResult,
  type TestOutcome,
} from "./code-tests/sandbox.js";
export { MetricModuleError, moduleMetricScorer } from "./module-metric.js";
export { startInProcessWorkers, type InProcessWorkersOptions } from "./in-process-workers.js";
export {
  EXCHANGES_FILE,
  MANIFEST_FILE,
  RecordingManifestSchema,
  readManifest,
  replayDifferences,
  type RecordingManifest,
} from "./run-recording.js";
export {
  RunRefusedError,
  assertLensesKept,
  createRunLlmClient,
  finishRun,
  optimizeConfigOf,
  resolveData,
  scorerFor,
  specHash,
  trainPoolOf,
  workerContextOf,
  worldOfSpec,
  type MetricsPort,
  type ResolvedData,
  type RunFiles,
  type RunOutcome,
} from "./run-job.js";
export { expectedScoreOf, oracleGapOf, type OracleGap } from "./oracle-gap.js";
export {
  RunDoneError,
  RunExistsError,
  RunNotFoundError,
  RunRecordSchema,
  RunRecordStore,
  readRunRecord,
  type NewRun,
  type RunRecord,
} from "./cluster/run-record-store.js";
export {
  expandConfigurations,
  isSweepDocument,
  loadSweepPlan,
  sweepFileJsonSchema,
  SweepFileSchema,
  type SweepFile,
  type SweepPlan,
  type SweepRun,
} from "./sweep/sweep-plan.js";
export {
  SweepRefusedError,
  sweep,
  sweepRunId,
  type SweepCounts,
  type SweepFiles,
  type SweepOptions,
  type SweepOutcome,
  type SweepProgress,
} from "./sweep/sweep.js";
export {
  meanInterval,
  renderSweepHtml,
  renderSweepMarkdown,
  summarizeSweep,
  type ConfigurationSummary,
  type SweepRunResult,
  type SweepSummary,
} from "./sweep/sweep-summary.js";

/** @maspo/core: what every maspo process shares. */
export { MaspoError, ValidationError, formatIssue, type Issue } from "./errors.js";
// The error catalogue: every code, its area, its exit status family; docs/errors.md is rendered from it.
export {
  ERROR_AREAS,
  ERROR_CODES,
  EXIT_FAMILIES,
  isErrorCode,
  type ErrorArea,
  type ErrorCode,
  type ErrorCodeInfo,
  type ExitFamily,
} from "./error-codes.js";
export { renderErrorDocs } from "./error-docs.js";
export { Rng, deriveSeed } from "./rng.js";
export { normalizePrompt, promptVersion } from "./prompt-version.js";
export {
  buildAgentMessages,
  buildAgentUserMessage,
  renderAgentPrompt,
  type ChatMessage,
  type PromptParts,
  type UpstreamOutput,
} from "./agent-messages.js";
export { splitAgentContext, renderUpstream, type AgentContextParts } from "./agent-context.js";
export { excerpt } from "./text-excerpt.js";
export { fieldOf, jsonValuesIn } from "./json-in-text.js";
export { MisalignmentCaseSchema, strongestPerAgent, type MisalignmentCase } from "./misalignment-case.js";
export { addTallies, EMPTY_TALLY, tallyOf, type CallTally } from "./call-tally.js";
export { agentById, descendantsOf, successorsOf, topologicalOrder, type AgentGraph, type GraphAgent } from "./agent-graph.js";
export type { LlmCallRequest, LlmCallResult, LlmCaller, LlmRole } from "./llm-caller.js";
// The run spec: schema, validation, loading, and the views of it the engine uses.
export {
  CODE_LANGUAGES,
  ClusterSchema,
  DATASET_FILE_KINDS,
  DEFAULT_WEIGHTS,
  DatasetSourceSchema,
  ExampleInputSchema,
  FinalMetricSchema,
  GraphSchema,
  LENSES,
  MUTATION_OPERATORS,
  STARTING_DEFAULTS,
  ModelEntrySchema,
  PAPER_WEIGHTS,
  PromptSpecSchema,
  ReplicasSchema,
  RunSpecSchema,
  TOPOLOGIES,
  type AgentSpec,
  type ClusterSettings,
  type CodeLanguage,
  type CodeTestsMetric,
  type DatasetFileKind,
  type DatasetSource,
  type FieldMapping,
  type ModuleMetric,
  type SplitSetting,
  type EvaluationSpec,
  type FinalMetric,
  type GraphSpec,
  type LabelMetric,
  type Lens,
  type ModelEntry,
  type MutationOperator,
  type PromptSpec,
  type RunSpec,
  type RunSpecInput,
  type SearchSettings,
  type Topology,
  type WeightsSetting,
} from "./spec/schema.js";
export { validateSpec, type SpecValidation, type ValidateOptions } from "./spec/validate.js";
export { STARTING_SETTINGS, startingConfigOverrides, type StartingOverride, type StartingSetting } from "./spec/starting-config.js";
export { MAX_SPEC_BYTES, loadSpecFile, parseSpecText, type LoadSpecOptions, type ReadSpec } from "./spec/load.js";
export { applyOverrides, parseOverride, type SpecOverride } from "./spec/overrides.js";
export { loadDataset, type DatasetSplits, type SplitRecord, type StoredDatasetSource } from "./spec/dataset.js";
export { normalizeInput } from "./spec/dataset-checks.js";
export type { Env } from "./spec/model-checks.js";
export {
  evaluationModelsOf,
  listModelEndpoints,
  servingModelOf,
  simlmWorldOf,
  usedEndpointIds,
  type ModelEndpoint,
} from "./spec/endpoints.js";
export { agentGraphOf } from "./spec/spec-graph.js";
export { initialPromptTexts, promptText } from "./spec/initial-prompts.js";
export { isLabelMetric, scoreFinalOutput, type MetricFunction } from "./spec/metric.js";
export { choiceOf } from "./spec/multiple-choice.js";
export { extractCode } from "./spec/code-extraction.js";
export { loadMetricFunction } from "./spec/metric-checks.js";
export { runSpecJsonSchema } from "./spec/json-schema.js";
export { parseDuration } from "./spec/duration.js";
export { closestMatch, didYouMean } from "./did-you-mean.js";
export { canonicalJson } from "./canonical-json.js";
export { issuesFromZod } from "./zod-issues.js";
// The worker protocol: requests, results and the shared vocabulary, declared once.
export * from "./protocol/index.js";

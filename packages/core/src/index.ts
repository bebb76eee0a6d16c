/** @maspo/core: what every maspo process shares. */
export { MaspoError, ValidationError, formatIssue, type Issue } from "./errors.js";
export { Rng, deriveSeed } from "./rng.js";
export { promptVersion } from "./prompt-version.js";
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
export { MisalignmentCaseSchema, type MisalignmentCase } from "./misalignment-case.js";
export { addTallies, EMPTY_TALLY, tallyOf, type CallTally } from "./llm/call-tally.js";
export { agentById, descendantsOf, successorsOf, topologicalOrder, type AgentGraph, type GraphAgent } from "./agent-graph.js";
export type { LlmCallRequest, LlmCallResult, LlmCaller, LlmRole } from "./llm-caller.js";
// The run spec: schema, validation, loading, and the views of it the engine uses.
export {
  ClusterSchema,
  DEFAULT_WEIGHTS,
  DatasetSourceSchema,
  ExampleSchema,
  FinalMetricSchema,
  GraphSchema,
  LENSES,
  MUTATION_OPERATORS,
  ModelEntrySchema,
  PAPER_WEIGHTS,
  PromptSpecSchema,
  RunSpecSchema,
  TOPOLOGIES,
  type AgentSpec,
  type ClusterSettings,
  type DatasetSource,
  type EvaluationSpec,
  type Example,
  type FinalMetric,
  type GraphSpec,
  type JointWeights,
  type LabelMetric,
  type Lens,
  type ModelEntry,
  type MutationOperator,
  type PromptSpec,
  type RunSpec,
  type RunSpecInput,
  type SearchSettings,
  type Topology,
} from "./spec/schema.js";
export { validateSpec, type SpecValidation, type ValidateOptions } from "./spec/validate.js";
export { loadSpecFile, parseSpecText, type ReadSpec } from "./spec/load.js";
export { loadDataset, type DatasetSplits, type StoredDatasetSource } from "./spec/dataset.js";
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
export { isLabelMetric, scoreFinalOutput } from "./spec/metric.js";
export { runSpecJsonSchema } from "./spec/json-schema.js";
export { parseDuration } from "./spec/duration.js";
export { closestMatch, didYouMean } from "./did-you-mean.js";
// The LLM client: SDK per endpoint, limits, retries, response cache, accounting.
export { LlmClient, type LlmClientOptions } from "./llm/llm-client.js";
export { LlmError, ResponseCacheError, type LlmErrorCode, type LlmErrorDetails } from "./llm/llm-error.js";
export {
  SIMLM_SDK_BASE_URL,
  isSimlmEndpoint,
  llmEndpointSchema,
  parseLlmEndpoints,
  type FetchFor,
  type LlmEndpoint,
} from "./llm/llm-endpoint.js";
export { apiSeed, completionCacheKey, type LlmCompletion, type LlmCompletionRequest } from "./llm/completion-request.js";
export {
  MAX_CLAIM_TTL_MS,
  MemoryResponseCache,
  cachedCompletionSchema,
  type CacheClaim,
  type CachedCompletion,
  type ResponseCache,
} from "./llm/response-cache.js";
export { FileResponseCache } from "./llm/file-response-cache.js";
export {
  LlmAccounting,
  callCostUsd,
  llmAccountingSnapshotSchema,
  type LlmAccountingRow,
  type LlmAccountingSnapshot,
  type LlmCounters,
} from "./llm/llm-accounting.js";
export type { LlmEvent, LlmEventListener } from "./llm/llm-events.js";
export type { FailureKind } from "./llm/attempt-failure.js";
export { DEFAULT_BACKOFF, type BackoffPolicy } from "./llm/retry-policy.js";
export { canonicalJson } from "./canonical-json.js";
export { issuesFromZod } from "./zod-issues.js";
// The work bus: envelopes, codec, subject names, the WorkQueue (in-process and JetStream), NATS
// connection, server compatibility, and the KV-backed checkpoint and response-cache stores.
export {
  ResultEnvelopeSchema,
  RunIdSchema,
  TaskEnvelopeSchema,
  TaskErrorSchema,
  TaskIdSchema,
  WORKER_ROLES,
  WorkerRoleSchema,
  type ResultEnvelope,
  type TaskEnvelope,
  type TaskError,
  type WorkerRole,
} from "./messages.js";
export { CodecError, decode, decodeResult, decodeTask, encode, validate } from "./codec.js";
export {
  RESPONSE_CACHE_BUCKET,
  checkRunId,
  deadLetterSubject,
  resultSubject,
  runBucketNames,
  runStreamNames,
  workConsumerName,
  workSubject,
  type RunBucketNames,
  type RunStreamNames,
} from "./subjects.js";
export {
  WorkQueueSettingsSchema,
  parseWorkQueueSettings,
  type DeliveredResult,
  type ProcessHandle,
  type ProcessOptions,
  type ResultsOptions,
  type StopOptions,
  type TaskContext,
  type TaskHandler,
  type WorkQueue,
  type WorkQueueEvent,
  type WorkQueueObserver,
  type WorkQueueSettings,
  type WorkQueueSettingsInput,
} from "./transport/work-queue.js";
export { PayloadTooLargeError, RunMismatchError, TaskFailedError, WorkQueueClosedError } from "./transport/transport-errors.js";
export { describeFailure, retryDelayMs } from "./transport/task-failure.js";
export { createInProcessWorkQueue, type InProcessWorkQueueOptions } from "./transport/in-process-work-queue.js";
export { DeadLetterHeaders, openJetStreamWorkQueue, type JetStreamWorkQueueOptions } from "./transport/jetstream-work-queue.js";
export { deleteRunStreams, ensureRunStreams, ensureWorkConsumer } from "./transport/run-streams.js";
export {
  NatsAuthOptionsSchema,
  buildConnectionOptions,
  describeConnection,
  type NatsAuthOptions,
  type SecretSources,
} from "./nats/connection-options.js";
export { NatsConnectError, connectNats, type NatsSession } from "./nats/nats-connection.js";
export { MIN_SERVER_VERSION, ServerCompatError, checkServerInfo, ensureServerCompat, type ServerSupport } from "./nats/server-compat.js";
export {
  CheckpointConflictError,
  KvResponseCache,
  openKvCheckpointStore,
  type CheckpointStore,
  type KvResponseCacheOptions,
  type StoredCheckpoint,
} from "./nats/kv-stores.js";
export { KvValueError } from "./nats/kv-chunks.js";
// Metrics: one Prometheus registry per process, the metric families of workers, the LLM client and
// the coordinator, and the /metrics endpoint.
export { METRIC_PREFIX, createMetricsRegistry, type MetricsRegistryOptions, type Registry } from "./metrics/metrics-registry.js";
export { TaskMetrics } from "./metrics/task-metrics.js";
export { LlmMetrics } from "./metrics/llm-metrics.js";
export { RunMetrics, type QueueBacklog, type RunSnapshot } from "./metrics/run-metrics.js";
export { MetricsServerError, startMetricsServer, type MetricsServer } from "./metrics/metrics-server.js";

/**
 * @maspo/cluster: the work bus and its plumbing, used by the run library in both modes.
 *
 * @example
 * ```ts
 * import { createInProcessWorkQueue, createTaskHandler, startQueueWorkers } from "@maspo/cluster";
 * const queue = createInProcessWorkQueue({ runId: "demo" });
 * await queue.process("executor", createTaskHandler({ role: "executor", adapters, context, endpoints }), { concurrency: 8 });
 * const workers = startQueueWorkers({ queue }); // the coordinator's EngineWorkers
 * const trace = await workers.runGraph({ prompts, example });
 * ```
 */
// The work bus: envelopes, codec, subject names, the WorkQueue (in-process and JetStream), NATS
// connection, server compatibility, and the KV-backed checkpoint and response-cache stores.
export {
  ResultEnvelopeSchema,
  TaskEnvelopeSchema,
  TaskErrorSchema,
  type ResultEnvelope,
  type TaskEnvelope,
  type TaskError,
} from "./messages.js";
export { CodecError, decode, decodeResult, decodeTask, encode, validate } from "./codec.js";
export {
  RATE_LIMIT_BUCKET,
  RESPONSE_CACHE_BUCKET,
  RUN_REGISTRY_BUCKET,
  SPEND_LEDGER_BUCKET,
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
export {
  PayloadTooLargeError,
  RunMismatchError,
  RunStreamsGoneError,
  TaskFailedError,
  WorkQueueClosedError,
} from "./transport/transport-errors.js";
export { describeFailure, retryDelayMs } from "./transport/task-failure.js";
export { createInProcessWorkQueue, type InProcessQueue, type InProcessWorkQueueOptions } from "./transport/in-process-work-queue.js";
export { DeadLetterHeaders, openJetStreamWorkQueue, type JetStreamWorkQueueOptions } from "./transport/jetstream-work-queue.js";
export { ensureRunStreams, ensureWorkConsumer, retireRunStreams, type RetiredRunStreams } from "./transport/run-streams.js";
export { Semaphore } from "./transport/semaphore.js";
export { readRunHealth, type ConsumerHealth, type RunHealth } from "./transport/run-health.js";
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
  RESPONSE_CACHE_DEFAULTS,
  ResponseCacheBoundsSchema,
  deleteKvRecord,
  openKvRecord,
  type BucketOptions,
  type KvRecord,
  type KvResponseCacheOptions,
  type ResponseCacheBounds,
  type StoredKvRecord,
} from "./nats/kv-stores.js";
export {
  RUN_REGISTRY_REFRESH_MS,
  RUN_REGISTRY_TTL_MS,
  RunRegistry,
  RunRegistryEntrySchema,
  type RunRegistryChange,
  type RunRegistryEntry,
  type RunRegistryWatchOptions,
} from "./nats/run-registry.js";
export { KvValueError } from "./nats/kv-chunks.js";
export { KvSpendLedger, type KvSpendLedgerOptions } from "./nats/kv-spend-ledger.js";
export { KvRateLimiter, type KvRateLimiterOptions } from "./nats/kv-rate-limit.js";
export {
  MASPO_ROLES,
  renderRoleAuthorization,
  roleUser,
  rolePasswordEnv,
  rolePermissions,
  type MaspoRole,
  type RoleCredential,
  type SubjectPermissions,
} from "./nats/role-permissions.js";
export {
  DEFAULT_MAX_REPLICAS,
  ReplicasError,
  assertReplicasFit,
  chooseReplicas,
  clusterSizeOf,
  defaultReplicas,
  describeReplicas,
  type ReplicasChoice,
} from "./nats/replicas.js";
export {
  describeOutageEvent,
  isMaspoStream,
  watchNatsOutages,
  type NatsOutageEvent,
  type NatsOutageWatch,
  type NatsOutageWatchOptions,
} from "./nats/outage-watch.js";
// Metrics: one Prometheus registry per process, the metric families of workers, the LLM client and
// the coordinator, and the /metrics endpoint.
export { METRIC_PREFIX, createMetricsRegistry, type MetricsRegistryOptions, type Registry } from "./metrics/metrics-registry.js";
export { RUN_LABEL_NAMES, RunSeries, metricFamily, type RunLabels } from "./metrics/run-series.js";
export { TaskMetrics, recordWorkerSlots } from "./metrics/task-metrics.js";
export { LlmMetrics, type LlmUse } from "./metrics/llm-metrics.js";
export { NatsMetrics } from "./metrics/nats-metrics.js";
export {
  RUN_PHASES,
  RunMetrics,
  SweepMetrics,
  type QueueBacklog,
  type RunEnd,
  type RunPhase,
  type RunSnapshot,
} from "./metrics/run-metrics.js";
export { MetricsServerError, startMetricsServer, type MetricsServer } from "./metrics/metrics-server.js";

// The task plumbing: a worker's task handler over registered adapters, each task's LLM use, and
// the coordinator's EngineWorkers over any WorkQueue (in-process or JetStream).
export { createTaskHandler, type TaskAdapters, type TaskHandlerOptions } from "./task-handler.js";
export { measureTaskUsage, type TaskUsage } from "./task-usage.js";
export {
  InvalidResultError,
  ResultsLostError,
  TaskFailedResultError,
  startQueueWorkers,
  usageTotals,
  type QueueWorkers,
  type QueueWorkersEvent,
  type QueueWorkersOptions,
} from "./queue-workers.js";

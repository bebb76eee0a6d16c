/**
 * The coordinator's workers in process: an in-process WorkQueue with one handler per role — the
 * task handler a worker process runs, over the same adapters — and the EngineWorkers that read its
 * results log. This is the whole difference between the embedded mode and a cluster: the queue.
 */
import {
  createInProcessWorkQueue,
  createTaskHandler,
  parseWorkQueueSettings,
  startQueueWorkers,
  type QueueWorkers,
  type QueueWorkersEvent,
  type TaskAdapters,
  type TaskMetrics,
  type WorkQueueSettingsInput,
} from "@maspo/cluster";
import { type RunSpend, WORKER_ROLES, type WorkerContext } from "@maspo/core";
import type { LlmEndpoint, SpendLedger } from "@maspo/llm";
import { TASK_ADAPTERS } from "./task-adapters.js";

export interface InProcessWorkersOptions {
  context: WorkerContext;
  /** The run's endpoints, to price each task's calls. */
  endpoints: readonly LlmEndpoint[];
  /** Retry and delivery settings (the spec's `cluster` section), as a cluster would use them. */
  settings?: WorkQueueSettingsInput;
  adapters?: TaskAdapters;
  /** The run's task metrics, as a worker process keeps them (every role's, with its in-flight tasks). */
  taskMetrics?: TaskMetrics;
  /** What the coordinator's side sees of each task (submitted, resolved), as over JetStream. */
  onEvent?: (event: QueueWorkersEvent) => void;
  /** A resumed run's spend (its checkpoint's usage): this queue's results log starts empty, so nothing in it was counted before. */
  carriedUsage?: RunSpend["usage"];
  /** The run's spend ledger (the one its LLM client settles in): what the run's cost and budget read. */
  ledger?: SpendLedger;
  /** Minibatch examples per evaluate task (the spec's `concurrency.evaluationShardSize`); see startQueueWorkers. */
  evaluationShardSize?: number;
}

/**
 * Tasks each role's handler runs at once. Unbounded in effect: a task holds nothing while it waits,
 * and the LLM client's per-endpoint and maxInFlight limits bound the real work.
 */
const IN_PROCESS_CONCURRENCY = 1_000_000;

export async function startInProcessWorkers(options: InProcessWorkersOptions): Promise<QueueWorkers> {
  const { taskMetrics } = options;
  const queue = createInProcessWorkQueue({
    runId: "embedded",
    settings: parseWorkQueueSettings(options.settings),
    ...(taskMetrics ? { observer: taskMetrics.observe } : {}),
  });
  const adapters = options.adapters ?? TASK_ADAPTERS;
  taskMetrics?.init(WORKER_ROLES);
  for (const role of WORKER_ROLES) {
    const handler = createTaskHandler({ role, adapters, context: options.context, endpoints: options.endpoints });
    const handle = await queue.process(role, handler, { concurrency: IN_PROCESS_CONCURRENCY });
    taskMetrics?.trackInFlight(role, () => handle.inFlight);
  }
  return startQueueWorkers({
    queue,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.carriedUsage ? { carried: { usage: options.carriedUsage, resultsPosition: 0 } } : {}),
    ...(options.ledger ? { ledger: options.ledger } : {}),
    ...(options.evaluationShardSize !== undefined ? { evaluationShardSize: options.evaluationShardSize } : {}),
  });
}

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
  type TaskAdapters,
  type WorkQueueSettingsInput,
} from "@maspo/cluster";
import { WORKER_ROLES, type WorkerContext } from "@maspo/core";
import type { LlmEndpoint } from "@maspo/llm";
import { TASK_ADAPTERS } from "./task-adapters.js";

export interface InProcessWorkersOptions {
  context: WorkerContext;
  /** The run's endpoints, to price each task's calls. */
  endpoints: readonly LlmEndpoint[];
  /** Retry and delivery settings (the spec's `cluster` section), as a cluster would use them. */
  settings?: WorkQueueSettingsInput;
  adapters?: TaskAdapters;
}

/**
 * Tasks each role's handler runs at once. Unbounded in effect: a task holds nothing while it waits,
 * and the LLM client's per-endpoint and maxInFlight limits bound the real work.
 */
const IN_PROCESS_CONCURRENCY = 1_000_000;

export async function startInProcessWorkers(options: InProcessWorkersOptions): Promise<QueueWorkers> {
  const queue = createInProcessWorkQueue({ runId: "embedded", settings: parseWorkQueueSettings(options.settings) });
  const adapters = options.adapters ?? TASK_ADAPTERS;
  for (const role of WORKER_ROLES) {
    const handler = createTaskHandler({ role, adapters, context: options.context, endpoints: options.endpoints });
    await queue.process(role, handler, { concurrency: IN_PROCESS_CONCURRENCY });
  }
  return startQueueWorkers({ queue });
}

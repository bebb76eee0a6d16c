/**
 * What a failed task turns into: the error record sent back in a result, whether to retry, and the
 * retry delay (exponential backoff with jitter). Jitter is seeded by task id and delivery, so a
 * retry schedule is reproducible and replicas still spread out.
 */
import { setMaxListeners } from "node:events";
import { MaspoError, type ErrorCode } from "@maspo/core";
import type { TaskError } from "../messages.js";
import { Rng } from "@maspo/core";
import type { WorkQueueSettings } from "./work-queue.js";

/** Any thrown value as the error record of a result. `retryable` only when the thrower said so. */
export function describeFailure(err: unknown): TaskError {
  const retryable = typeof err === "object" && err !== null && "retryable" in err && (err as { retryable: unknown }).retryable === true;
  if (err instanceof MaspoError) return { code: err.code, message: err.message, retryable };
  const code = "E_TASK_FAILED" satisfies ErrorCode;
  if (err instanceof Error) return { code, message: `${err.name}: ${err.message}`, retryable };
  return { code, message: String(err), retryable };
}

/** Delay before delivery `deliveryCount + 1` of a task that failed retryably on delivery `deliveryCount`. */
export function retryDelayMs(
  settings: Pick<WorkQueueSettings, "backoffMs" | "maxBackoffMs">,
  taskId: string,
  deliveryCount: number,
): number {
  const schedule = settings.backoffMs;
  const step = Math.max(0, deliveryCount - 1);
  const last = schedule[schedule.length - 1] ?? 0;
  const base = schedule[step] ?? last * 2 ** (step - schedule.length + 1);
  const ceiling = Math.min(settings.maxBackoffMs, base);
  // Equal jitter: at least half the delay, so retries still back off; the rest spreads replicas.
  const jitter = Rng.derive("retry", taskId, deliveryCount).next();
  return Math.round(ceiling / 2 + (jitter * ceiling) / 2);
}

/** Whether a failed delivery is retried (true) or becomes a final error result (false). */
export function shouldRetry(error: TaskError, deliveryCount: number, maxDeliver: number): boolean {
  return error.retryable && deliveryCount < maxDeliver;
}

/**
 * The abort controller of one processor: every task it runs, and every LLM request of each task,
 * listens on its signal at once. Those listeners are removed as each request ends, so many at a
 * time is the design, not a leak: Node's default warning at 11 listeners would only mislead.
 */
export function sharedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

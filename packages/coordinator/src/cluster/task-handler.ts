/**
 * A worker process's side of the task protocol: the TaskHandler it hands to the WorkQueue. It checks
 * the task is of a kind its role runs, validates the request, calls exactly the function the
 * embedded mode calls (runGraphTask, evaluateTask, mutateTask) and returns the value with the LLM use
 * it caused. Transient trouble in any LLM call (rate limits, outages, the shared cache unreachable)
 * asks the queue for a retry with backoff, even when the function absorbed it into its value (see
 * task-usage.ts); a request that can never succeed fails the task at once.
 */
import {
  LlmError,
  MaspoError,
  ResponseCacheError,
  TaskFailedError,
  formatIssue,
  issuesFromZod,
  type LlmEndpoint,
  type TaskHandler,
  type WorkerRole,
} from "@maspo/core";
import type { z } from "zod";
import { evaluateTask, mutateTask, runGraphTask, type WorkerContext } from "../embedded-workers.js";
import { TASK_KINDS, TaskKindSchema, type TaskKind, type TaskOutput } from "./task-protocol.js";
import { measureTaskUsage } from "./task-usage.js";

export interface TaskHandlerOptions {
  role: WorkerRole;
  /** The worker's context; its `llm` is the process's shared LLM client. */
  context: WorkerContext;
  /** The run's endpoints, to price the calls a task makes. */
  endpoints: readonly LlmEndpoint[];
}

export function createTaskHandler(options: TaskHandlerOptions): TaskHandler {
  const endpoints = new Map(options.endpoints.map((e) => [e.id, e]));
  return async (task, tctx): Promise<TaskOutput> => {
    const kind = kindOf(task.kind, options.role);
    const usage = measureTaskUsage(options.context.llm, endpoints, tctx.signal);
    const ctx: WorkerContext = { ...options.context, llm: usage.llm };
    let value: unknown;
    try {
      value = await runKind(kind, ctx, task.payload);
    } catch (err) {
      throw asTaskFailure(usage.transientFailure() ?? err);
    }
    const transient = usage.transientFailure();
    if (transient) {
      // The value absorbed a failure that was weather, not an answer: do the task again later.
      throw new TaskFailedError("E_TASK_TRANSIENT", `an LLM call failed transiently, so the result would differ: ${transient.message}`, {
        retryable: true,
        cause: transient,
      });
    }
    return { value, usage: usage.snapshot() };
  };
}

function kindOf(kind: string, role: WorkerRole): TaskKind {
  const parsed = TaskKindSchema.safeParse(kind);
  if (!parsed.success || TASK_KINDS[parsed.data].role !== role) {
    const mine = Object.entries(TASK_KINDS)
      .filter(([, k]) => k.role === role)
      .map(([name]) => name);
    throw new TaskFailedError("E_TASK_KIND", `a ${role} runs tasks of kind ${mine.join(", ")}, not "${kind}"`, { retryable: false });
  }
  return parsed.data;
}

function request<S extends z.ZodType>(schema: S, kind: TaskKind, payload: unknown): z.infer<S> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const problems = issuesFromZod(parsed.error, payload).map(formatIssue);
    throw new TaskFailedError("E_TASK_PAYLOAD", `invalid ${kind} request: ${problems.join("; ")}`, { retryable: false });
  }
  return parsed.data;
}

async function runKind(kind: TaskKind, ctx: WorkerContext, payload: unknown): Promise<unknown> {
  switch (kind) {
    case "runGraph":
      return runGraphTask(ctx, request(TASK_KINDS.runGraph.request, kind, payload));
    case "evaluate":
      return evaluateTask(ctx, request(TASK_KINDS.evaluate.request, kind, payload));
    case "mutate":
      return mutateTask(ctx, request(TASK_KINDS.mutate.request, kind, payload));
  }
}

/** What the queue should do with a failure: retry later (weather) or report it now (a bug, bad input). */
function asTaskFailure(err: unknown): unknown {
  if (err instanceof TaskFailedError) return err;
  if (err instanceof LlmError) {
    return new TaskFailedError(err.code, err.message, { retryable: err.details.retryable, cause: err });
  }
  if (err instanceof ResponseCacheError) return new TaskFailedError(err.code, err.message, { retryable: true, cause: err });
  if (err instanceof MaspoError) return new TaskFailedError(err.code, err.message, { retryable: false, cause: err });
  return err;
}

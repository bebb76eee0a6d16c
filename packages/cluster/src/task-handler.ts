/**
 * A worker's side of the task protocol: the TaskHandler it hands to the WorkQueue, in a worker
 * process and in the embedded mode alike (there over the in-process queue). It checks the task is of
 * a kind its role runs, validates the request, calls the adapter registered for the kind (each a pure
 * function of its package: the executor's runGraphTask, the evaluator's evaluateTask and compareFinalsTask,
 * the mutator's mutateTask, the way Temporal registers activities) and returns the value with the LLM use it caused. Transient trouble in any LLM call (rate limits, outages, the shared cache unreachable)
 * asks the queue for a retry with backoff, even when the function absorbed it into its value (see
 * task-usage.ts); a request that can never succeed fails the task at once.
 */
import {
  MaspoError,
  TASK_KINDS,
  TaskKindSchema,
  formatIssue,
  issuesFromZod,
  type CompareFinalsRequest,
  type EvaluateRequest,
  type Evaluation,
  type EvaluationShard,
  type FinalComparison,
  type MutateRequest,
  type ProbeReport,
  type ProbeRequest,
  type Proposal,
  type RunGraphRequest,
  type TaskAdapter,
  type TaskKind,
  type TaskOutput,
  type Trace,
  type WorkerContext,
  type WorkerRole,
} from "@maspo/core";
import { LlmError, ResponseCacheError, type LlmEndpoint } from "@maspo/llm";
import type { z } from "zod";
import { measureTaskUsage } from "./task-usage.js";
import { TaskFailedError } from "./transport/transport-errors.js";
import type { TaskHandler } from "./transport/work-queue.js";

/** The adapter of each task kind; a process registers those of the roles it serves. */
export interface TaskAdapters {
  runGraph: TaskAdapter<RunGraphRequest, Trace>;
  evaluate: TaskAdapter<EvaluateRequest, Evaluation>;
  /** A few minibatch examples of one candidate's evaluation, per example; the coordinator folds the shards. */
  evaluateShard: TaskAdapter<EvaluateRequest, EvaluationShard>;
  mutate: TaskAdapter<MutateRequest, Proposal[]>;
  /** Label-free runs: two final answers to one example, judged in both orders. */
  compareFinals: TaskAdapter<CompareFinalsRequest, FinalComparison>;
  /** Preflight: every role's probe kind is answered by this one adapter, with that role's keys. */
  probe: TaskAdapter<ProbeRequest, ProbeReport>;
}

export interface TaskHandlerOptions {
  role: WorkerRole;
  adapters: TaskAdapters;
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
      value = await runKind(options.adapters, kind, ctx, task.payload);
    } catch (err) {
      throw asTaskFailure(usage.budgetRefusal() ?? usage.transientFailure() ?? err);
    }
    // A call refused for the budget fails the task for good, even if its value absorbed the refusal.
    const refusal = usage.budgetRefusal();
    if (refusal) throw asTaskFailure(refusal);
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

async function runKind(adapters: TaskAdapters, kind: TaskKind, ctx: WorkerContext, payload: unknown): Promise<unknown> {
  switch (kind) {
    case "runGraph":
      return adapters.runGraph(ctx, request(TASK_KINDS.runGraph.request, kind, payload));
    case "evaluate":
      return adapters.evaluate(ctx, request(TASK_KINDS.evaluate.request, kind, payload));
    case "evaluateShard":
      return adapters.evaluateShard(ctx, request(TASK_KINDS.evaluateShard.request, kind, payload));
    case "mutate":
      return adapters.mutate(ctx, request(TASK_KINDS.mutate.request, kind, payload));
    case "compareFinals":
      return adapters.compareFinals(ctx, request(TASK_KINDS.compareFinals.request, kind, payload));
    case "probeServing":
    case "probeJudges":
    case "probeOptimizer":
      return adapters.probe(ctx, request(TASK_KINDS[kind].request, kind, payload));
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

/**
 * The coordinator's EngineWorkers over a WorkQueue: each request of the loop becomes a task on the
 * run's queue (in-process in the embedded mode, JetStream in a cluster), and its promise settles when
 * the task's result appears in the run's results log. optimize() folds results in the order it asked
 * for them, never in arrival order, so a cluster run is the embedded run, only spread over processes.
 *
 * The results log is read from its start: task ids are content hashes, so a step may ask again for
 * work finished long before (the same prompts on the same example), and a resumed coordinator redoes
 * its interrupted step. The server drops such a resubmission as a duplicate; only the log still has
 * its answer. So a task id known here is never submitted, and what is known of it is only where its
 * result sits in the log: a result is handed to the requests awaiting it and released, and a task
 * asked again is read back from the log (WorkQueue.resultAt). Over a long run the coordinator holds
 * the results of the tasks in flight and one log position per task, never every payload.
 */
import {
  DEFAULT_EVALUATION_SHARD_SIZE,
  MaspoError,
  TASK_KINDS,
  TaskOutputSchema,
  foldEvaluationShards,
  formatIssue,
  isErrorCode,
  issuesFromZod,
  shardEvaluateRequest,
  taskIdFor,
  usageTotalsOf,
  type CompareFinalsRequest,
  type EngineWorkers,
  type ErrorCode,
  type EvaluateRequest,
  type Evaluation,
  type FinalComparison,
  type Issue,
  type LlmAccountingSnapshot,
  type MutateRequest,
  type ProbeKind,
  type ProbeReport,
  type ProbeRequest,
  type Proposal,
  type RunGraphRequest,
  type RunSpend,
  type TaskKind,
  type Trace,
  type UsageTotals,
  type WorkerRole,
} from "@maspo/core";
import { LlmAccounting, withCacheHits, type SpendLedger } from "@maspo/llm";
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import type { ResultEnvelope, TaskError } from "./messages.js";
import type { WorkQueue } from "./transport/work-queue.js";

/** A task's final failure, as its worker reported it. */
export class TaskFailedResultError extends MaspoError<"E_CLUSTER_TASK"> {
  readonly taskId: string;
  /** The record as it came off the bus: its code is a string, whatever the worker's version sent. */
  readonly taskError: TaskError;
  /** The worker's code, when it is one this build catalogues (a worker of another version may send others). */
  readonly workerCode: ErrorCode | undefined;

  constructor(kind: TaskKind, taskId: string, error: TaskError, attempts: number) {
    super(
      "E_CLUSTER_TASK",
      `${kind} task ${taskId} failed after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${error.code}: ${error.message}`,
    );
    this.taskId = taskId;
    this.taskError = error;
    this.workerCode = isErrorCode(error.code) ? error.code : undefined;
  }
}

/**
 * A request whose results kept failing validation (a payload its kind's schema refuses, a result of
 * another role, a failure no fresh attempt reproduced): each was dead-lettered and the task retried
 * under a fresh id, up to the bound; this names the task and the last reason.
 */
export class InvalidResultError extends MaspoError<"E_TASK_RESULT"> {
  readonly taskId: string;

  constructor(kind: TaskKind, taskId: string, reason: string, rejected: number) {
    super(
      "E_TASK_RESULT",
      `${kind} task ${taskId}: ${rejected} result${rejected === 1 ? "" : "s"} in a row failed validation and went to the dead-letter stream; the last: ${reason}. A worker of another maspo version, a worker bug, or a client forging results: check the workers' versions and the NATS permissions (deploy/README.md)`,
    );
    this.taskId = taskId;
  }
}

/** The results log ended (queue closed, connection lost for good) while tasks were still awaited. */
export class ResultsLostError extends MaspoError<"E_RESULTS_LOST"> {
  constructor(reason: string, options?: { cause?: unknown }) {
    super("E_RESULTS_LOST", `stopped reading task results (${reason}); resume the run with --resume`, options);
  }
}

/** What the coordinator's metrics and logs see; never payloads. */
export type QueueWorkersEvent =
  /** A task is being put on the queue: awaited from now on (its submit may still be retrying). */
  | { type: "submitting"; role: WorkerRole; taskId: string }
  | { type: "submitted"; role: WorkerRole; taskId: string }
  | { type: "resolved"; role: WorkerRole; taskId: string; ok: boolean }
  | { type: "invalid-result"; role: WorkerRole; taskId: string; reason: string }
  /** A non-retryable failure, asked again under a fresh id before it is believed (see request()). */
  | { type: "failure-unconfirmed"; role: WorkerRole; taskId: string; code: string };

export interface QueueWorkersOptions {
  queue: WorkQueue;
  /** Error results that said `retryable` are resubmitted under a new id this many times. Default 2. */
  resubmits?: number;
  /**
   * Results failing validation that are dead-lettered, each followed by the task under a fresh id,
   * before the request fails with E_TASK_RESULT. Default 3.
   */
  invalidRetries?: number;
  onEvent?: (event: QueueWorkersEvent) => void;
  /**
   * Minibatch examples per evaluate task (the spec's `concurrency.evaluationShardSize`): a longer
   * minibatch is asked as evaluateShard tasks, spread over the evaluators and folded here in
   * minibatch order into the Evaluation one task would give. Default DEFAULT_EVALUATION_SHARD_SIZE.
   */
  evaluationShardSize?: number;
  /**
   * A resumed run's spend from its checkpoint: counted from the start, so the budget stop, the token
   * guard and the report go on from it. Results the log holds at or before its `resultsPosition` are in
   * it already and add nothing more; pass 0 for a results log that starts empty (the in-process one).
   */
  carried?: RunSpend;
  /**
   * The run's spend ledger: when given, the run's calls, tokens, cost, failures and retries are what it
   * says endpoints served (a dead worker's or a failed delivery's calls included), not what task
   * results report; the cache hits still come from the results.
   */
  ledger?: Pick<SpendLedger, "snapshot" | "refresh" | "capRound">;
}

export interface QueueWorkers extends EngineWorkers {
  /** Preflight: the role of `kind` probes `endpointIds` with its own keys. */
  probe(kind: ProbeKind, request: ProbeRequest): Promise<ProbeReport>;
  /** LLM use of every task result read so far (each task id once). */
  readonly accounting: LlmAccounting;
  /** The run's LLM use as the report counts it: the ledger's served calls (if any) with the results' cache hits. */
  usageSnapshot(): LlmAccountingSnapshot;
  /** Results read from the log so far. */
  readonly resultsRead: number;
  /** What it holds per task right now (see Retained): the bound on its memory, for tests and metrics. */
  retained(): Retained;
  /**
   * Resolves once no task is awaited any more: after a step ended early (a budget stop), the tasks it
   * had asked for that were still running have ended too, so nothing of it runs after the budget is lifted.
   */
  idle(): Promise<void>;
  /** The spend to checkpoint: the run's LLM use so far (carried included) and the position in the results log it was read to. */
  spend(): RunSpend;
  /** Closes the work queue and stops reading results; tasks still awaited reject with ResultsLostError. */
  close(): Promise<void>;
}

/**
 * What the coordinator's workers hold, by count. Payloads are held only while awaited (`awaited`: task
 * ids with requests waiting on them); every other task is a log position (`indexed`). Task ids of this
 * coordinator are remembered while their result is unknown or failed (`submittedHere`), since a
 * failure is believed only from the coordinator that asked.
 */
export interface Retained {
  awaited: number;
  indexed: number;
  submittedHere: number;
}

interface Waiter {
  resolve: (result: ResultEnvelope) => void;
  reject: (error: unknown) => void;
}

/**
 * One closure over the results seen, the waiters and the accounting: its parts (the log reader, the
 * submit-once outcome, the resubmitting request) share that state and nothing else, so they stay together.
 */
export function startQueueWorkers(options: QueueWorkersOptions): QueueWorkers {
  const { queue } = options;
  const emit = options.onEvent ?? (() => {});
  const resubmits = Math.max(0, options.resubmits ?? 2);
  const invalidRetries = Math.max(0, options.invalidRetries ?? 3);
  const evaluationShardSize = options.evaluationShardSize ?? DEFAULT_EVALUATION_SHARD_SIZE;
  const accounting = new LlmAccounting();
  if (options.carried) accounting.merge(options.carried.usage);
  const carriedUpTo = options.carried?.resultsPosition ?? 0;
  const { ledger } = options;
  const runUsage = (): LlmAccountingSnapshot => (ledger ? withCacheHits(ledger.snapshot(), accounting.snapshot()) : accounting.snapshot());
  /**
   * Where each result read sits in the log, by task id: to read it back when its task is asked again,
   * or to dead-letter it if it fails validation. A number per task, never the payload.
   */
  const positions = new Map<string, number>();
  const waiters = new Map<string, Waiter[]>();
  /**
   * Task ids this coordinator submitted whose result has not come or came as a failure: a failure in
   * the log not among them came from an earlier coordinator. A success is forgotten here once read.
   */
  const submittedHere = new Set<string>();
  const incarnation = `i${randomUUID().slice(0, 8)}`;
  let ended: ResultsLostError | undefined;
  let closing = false;
  let resultsRead = 0;
  let resultsPosition = 0;

  const rejectWaiters = (taskIds: Iterable<string>, error: unknown): void => {
    for (const taskId of [...taskIds]) {
      const pending = waiters.get(taskId) ?? [];
      waiters.delete(taskId);
      for (const w of pending) w.reject(error);
    }
  };

  const reader = (async () => {
    for await (const { result, position } of queue.results()) {
      resultsRead++;
      resultsPosition = Math.max(resultsPosition, position);
      if (positions.has(result.taskId)) continue;
      positions.set(result.taskId, position);
      if (result.ok) {
        submittedHere.delete(result.taskId);
        // Read again on resume, a result the checkpoint had counted is in the carried spend already.
        const usage = usageOf(result);
        if (usage && position > carriedUpTo) accounting.merge(usage);
      }
      emit({ type: "resolved", role: result.role, taskId: result.taskId, ok: result.ok });
      const pending = waiters.get(result.taskId) ?? [];
      waiters.delete(result.taskId);
      for (const w of pending) w.resolve(result);
    }
  })()
    .then(
      () => new ResultsLostError(closing ? "the coordinator is closing" : "the results log ended"),
      (err: unknown) => new ResultsLostError(err instanceof Error ? err.message : String(err), { cause: err }),
    )
    .then((error) => {
      ended = error;
      rejectWaiters(waiters.keys(), error);
    });

  /**
   * A result used again for the same request: the embedded mode would have done the task again and had
   * every LLM request of it answered by the response cache, so it counts them as cache hits (no cost).
   */
  const countReuse = (result: ResultEnvelope): ResultEnvelope => {
    const usage = usageOf(result);
    if (usage) accounting.merge(asCacheHits(usage));
    return result;
  };

  /** A finished task's result, read back from where the log has it. */
  const readBack = async (taskId: string, position: number): Promise<ResultEnvelope> => {
    const result = await queue.resultAt(position);
    if (result?.taskId !== taskId) {
      throw new ResultsLostError(
        `the result of task ${taskId} is no longer at position ${position} of the results log (${result ? `task ${result.taskId} is` : "nothing is"} there)`,
      );
    }
    return result;
  };

  /** The result of one task id: known already (read back from the log), or awaited after submitting it (once per process). */
  const outcome = (kind: TaskKind, taskId: string, payload: unknown): Promise<ResultEnvelope> => {
    const known = positions.get(taskId);
    if (known !== undefined) return readBack(taskId, known).then(countReuse);
    if (ended) return Promise.reject(ended);
    const role = TASK_KINDS[kind].role;
    return new Promise<ResultEnvelope>((resolve, reject) => {
      const pending = waiters.get(taskId);
      if (pending) {
        // The same request asked twice at once: one task, one result, both answered by it.
        pending.push({ resolve: (result) => resolve(countReuse(result)), reject });
        return;
      }
      waiters.set(taskId, [{ resolve, reject }]);
      submittedHere.add(taskId);
      emit({ type: "submitting", role, taskId });
      queue.submit({ v: 1, runId: queue.runId, taskId, role, kind, payload }).then(
        () => emit({ type: "submitted", role, taskId }),
        (err: unknown) => rejectWaiters([taskId], err),
      );
    });
  };

  /** Copies a result that failed validation to the dead-letter stream, with its reason; never fatal. */
  const rejectResult = async (result: ResultEnvelope, reason: string): Promise<void> => {
    emit({ type: "invalid-result", role: result.role, taskId: result.taskId, reason });
    const position = positions.get(result.taskId);
    if (position !== undefined) await queue.rejectResult({ result, position }, reason);
  };

  /**
   * A request's answer. Task ids are content hashes salted by what happened before: `fresh` (this
   * coordinator retries an earlier one's failures under its own ids), and one salt per result that
   * failed validation — deterministic, so a resumed coordinator finds the retries' results in the log
   * and does not pay for them again. A result failing validation (a payload its kind's schema
   * refuses, a result on behalf of another role) is dead-lettered and the task retried, never fatal,
   * up to `invalidRetries` times. A non-retryable failure is believed only once a fresh attempt
   * reproduces it: a genuine one (a refused request, a refused key) fails the run loudly after that
   * second attempt; one that does not come back (forged, or a one-off worker fault) is dead-lettered.
   */
  async function request<S extends z.ZodType>(kind: TaskKind, payload: unknown, schema: S): Promise<z.infer<S>> {
    const role = TASK_KINDS[kind].role;
    const salts: string[] = [];
    let fresh = false;
    let rejected = 0;
    let unconfirmed: { result: ResultEnvelope; error: TaskError } | undefined;
    for (let attempt = 1; ; attempt++) {
      const taskId = taskIdFor(kind, payload, attempt, salts.length > 0 ? salts.join(".") : undefined);
      const result = await outcome(kind, taskId, payload);
      const checked = checkResult(result, role, schema);
      if (checked.kind === "invalid") {
        await rejectResult(result, checked.reason);
        if (++rejected > invalidRetries) throw new InvalidResultError(kind, taskId, checked.reason, rejected);
        salts.push(`inv${rejected}`);
        attempt = 0;
        continue;
      }
      if (checked.kind === "failed" && !fresh && !submittedHere.has(taskId)) {
        // A failure an earlier coordinator of this run got (the log keeps it): this one tries afresh,
        // under ids of its own. A success found in the log is reused: that call was paid for already.
        fresh = true;
        salts.push(incarnation);
        attempt = 0;
        continue;
      }
      if (checked.kind === "failed") {
        const { error } = checked;
        if (error.retryable && attempt <= resubmits) continue;
        if (!error.retryable && unconfirmed === undefined) {
          unconfirmed = { result, error };
          emit({ type: "failure-unconfirmed", role, taskId, code: error.code });
          salts.push("confirm");
          attempt = 0;
          continue;
        }
        throw new TaskFailedResultError(kind, taskId, error, attempt);
      }
      if (unconfirmed) {
        const { result: first, error } = unconfirmed;
        await rejectResult(first, `failure ${error.code} not reproduced by a fresh attempt: ${error.message}`);
      }
      return checked.value;
    }
  }

  return {
    accounting,
    get resultsRead() {
      return resultsRead;
    },
    retained: (): Retained => ({ awaited: waiters.size, indexed: positions.size, submittedHere: submittedHere.size }),
    usageSnapshot: runUsage,
    async idle() {
      while (waiters.size > 0 && !ended) await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
    },
    spend: (): RunSpend => ({ usage: runUsage(), resultsPosition }),
    runGraph: (req: RunGraphRequest): Promise<Trace> => request("runGraph", req, TASK_KINDS.runGraph.value),
    evaluate: async (req: EvaluateRequest): Promise<Evaluation> => {
      const shards = shardEvaluateRequest(req, evaluationShardSize);
      if (shards.length === 1) return request("evaluate", req, TASK_KINDS.evaluate.value);
      return foldEvaluationShards(await Promise.all(shards.map((s) => request("evaluateShard", s, TASK_KINDS.evaluateShard.value))));
    },
    mutate: (req: MutateRequest): Promise<Proposal[]> => request("mutate", req, TASK_KINDS.mutate.value),
    compareFinals: (req: CompareFinalsRequest): Promise<FinalComparison> => request("compareFinals", req, TASK_KINDS.compareFinals.value),
    probe: (kind: ProbeKind, req: ProbeRequest): Promise<ProbeReport> => request(kind, req, TASK_KINDS[kind].value),
    usage: (): UsageTotals => usageTotalsOf(runUsage()),
    refreshUsage: async () => {
      await ledger?.refresh();
    },
    capRoundTokens: async (cap) => {
      await ledger?.capRound?.(cap);
    },
    async close() {
      closing = true;
      await queue.close();
      await reader;
    },
  };
}

/** How often idle() looks whether tasks are still awaited. */
const IDLE_POLL_MS = 50;

/** A result as the request sees it: a value of its kind, a worker's failure, or invalid (with the reason). */
type CheckedResult<T> = { kind: "value"; value: T } | { kind: "failed"; error: TaskError } | { kind: "invalid"; reason: string };

function checkResult<S extends z.ZodType>(result: ResultEnvelope, role: WorkerRole, schema: S): CheckedResult<z.infer<S>> {
  // A result's role is its subject's on JetStream (queue.results() reads it so, whatever the envelope
  // claims), and NATS permissions let a worker publish only its own role's results.
  if (result.role !== role) return { kind: "invalid", reason: `a ${result.role} result for a ${role} task` };
  if (!result.ok) return { kind: "failed", error: result.error };
  const value = resultValue(result.payload, schema);
  return value.ok ? { kind: "value", value: value.value } : { kind: "invalid", reason: `invalid result: ${value.reason}` };
}

/** A successful result's value, checked against its kind's schema; the first problems when it does not fit. */
function resultValue<S extends z.ZodType>(payload: unknown, schema: S): { ok: true; value: z.infer<S> } | { ok: false; reason: string } {
  const output = TaskOutputSchema.safeParse(payload);
  let issues: Issue[];
  if (output.success) {
    const value = schema.safeParse(output.data.value);
    if (value.success) return { ok: true, value: value.data };
    issues = issuesFromZod(value.error, output.data.value);
  } else {
    issues = issuesFromZod(output.error, payload);
  }
  return { ok: false, reason: issues.slice(0, 5).map(formatIssue).join("; ") };
}

/** A successful result's LLM use, as it reported it; undefined for a failure or a payload of another shape. */
function usageOf(result: ResultEnvelope): LlmAccountingSnapshot | undefined {
  if (!result.ok) return undefined;
  const output = TaskOutputSchema.safeParse(result.payload);
  return output.success ? output.data.usage : undefined;
}

/** A task's LLM use as it reads when every request of it is answered from the response cache. */
function asCacheHits(usage: LlmAccountingSnapshot): LlmAccountingSnapshot {
  return {
    rows: usage.rows.map((r) => ({
      ...r,
      calls: 0,
      failedAttempts: 0,
      retries: 0,
      promptTokens: 0,
      completionTokens: 0,
      costUsd: 0,
      cacheHits: r.calls + r.cacheHits,
    })),
  };
}

export function usageTotals(accounting: LlmAccounting): UsageTotals {
  return usageTotalsOf(accounting.snapshot());
}

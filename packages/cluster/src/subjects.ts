/**
 * Every name a run uses on NATS: subjects, streams, consumers and KV buckets. Everything is
 * namespaced by run id, so runs sharing a cluster never see each other's work.
 */
import { validate } from "./codec.js";
import { RunIdSchema, type WorkerRole } from "@maspo/core";

/** Checks a run id is safe as a subject token and a stream/bucket name; throws ValidationError if not. */
export function checkRunId(runId: string): string {
  return validate(RunIdSchema, runId, "run id");
}

export function workSubject(runId: string, role: WorkerRole): string {
  return `maspo.${checkRunId(runId)}.work.${role}`;
}

export function resultSubject(runId: string, role: WorkerRole): string {
  return `maspo.${checkRunId(runId)}.result.${role}`;
}

export function deadLetterSubject(runId: string): string {
  return `maspo.${checkRunId(runId)}.dead`;
}

export interface RunStreamNames {
  /** Work-queue stream: tasks, deleted once acked. */
  work: string;
  /** Results log: kept, read from a position, so a restarted coordinator resumes where it stopped. */
  results: string;
  /** Poison messages with the reason they were refused. */
  dead: string;
}

export function runStreamNames(runId: string): RunStreamNames {
  const id = checkRunId(runId);
  return { work: `MASPO_${id}_WORK`, results: `MASPO_${id}_RESULTS`, dead: `MASPO_${id}_DEAD` };
}

/** The durable pull consumer all replicas of a role share on the work stream. */
export function workConsumerName(role: WorkerRole): string {
  return `maspo-${role}`;
}

export interface RunBucketNames {
  /** Coordinator checkpoints (compare-and-swap on revision). */
  checkpoints: string;
}

export function runBucketNames(runId: string): RunBucketNames {
  return { checkpoints: `maspo_${checkRunId(runId)}_checkpoints` };
}

/**
 * The LLM response cache is content-addressed, so it is shared by all runs on a cluster: a repeated
 * run pays for no call twice.
 */
export const RESPONSE_CACHE_BUCKET = "maspo_response_cache";

/**
 * The run registry: every coordinator announces its run here (key = run id), and pool workers watch
 * it to find the runs to serve (nats/run-registry.ts).
 */
export const RUN_REGISTRY_BUCKET = "maspo_runs";

/**
 * Runs' spend ledgers, one key per run id (nats/kv-spend-ledger.ts): every process of a run settles
 * the calls it made there, and reserves against the run's budget.
 */
export const SPEND_LEDGER_BUCKET = "maspo_spend";

/**
 * Endpoints' rate-limit windows, one key per limit identity (a hash of server, model and key
 * variable name; nats/kv-rate-limit.ts), shared by every run on the cluster.
 */
export const RATE_LIMIT_BUCKET = "maspo_rate_limits";

/**
 * `maspo worker executor|evaluator|mutator --nats <url> [--run <id>]`: one worker process of a
 * cluster — a pool worker serving every run, or with --run one run's (see worker-loop.ts of
 * @maspo/run). Logs are JSON lines on stderr; SIGTERM or SIGINT drains it and exits 0.
 */
import { ReplicasSchema, WorkerRoleSchema, parseDuration, type WorkerRole } from "@maspo/core";
import { RESPONSE_CACHE_DEFAULTS, ResponseCacheBoundsSchema, checkRunId, type ResponseCacheBounds } from "@maspo/cluster";
import { type Command, InvalidArgumentError } from "commander";
import pino from "pino";
import type { CliIo } from "../cli-io.js";
import { RefusedError } from "../exit-status.js";
import { runWorker } from "@maspo/run";
import {
  METRICS_PORT_HELP,
  type MetricsPort,
  type NatsFlags,
  addNatsAuthOptions,
  metricsPort,
  natsAuthOf,
  natsUrl,
} from "../nats-flags.js";

interface WorkerFlags extends NatsFlags {
  nats: string;
  run?: string;
  concurrency: number;
  cacheTtl?: number;
  cacheMaxBytes?: number;
  metricsPort?: MetricsPort;
  graceMs: number;
  exitWhenDone?: boolean;
  replicas?: number;
}

function workerRole(raw: string): WorkerRole {
  const parsed = WorkerRoleSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidArgumentError(`expected executor, evaluator or mutator, found "${raw}"`);
  return parsed.data;
}

function positiveInt(what: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer (${what}), found "${raw}"`);
    return n;
  };
}

function nonNegativeInt(what: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number of milliseconds (${what}), found "${raw}"`);
    return n;
  };
}

function cacheTtl(raw: string): number {
  const ms = parseDuration(raw);
  if (ms === undefined || !ResponseCacheBoundsSchema.shape.ttlMs.safeParse(ms).success) {
    throw new InvalidArgumentError(`expected a duration of at least 2m, such as 12h or 30d (--cache-ttl), found "${raw}"`);
  }
  return ms;
}

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

function cacheMaxBytes(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw.trim());
  const unit = BYTE_UNITS[(m?.[2] ?? "").toLowerCase() || "b"];
  const bytes = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!ResponseCacheBoundsSchema.shape.maxBytes.safeParse(bytes).success) {
    throw new InvalidArgumentError(`expected a size of at least 8MiB, such as 512MiB, 4GiB or 2GB (--cache-max-bytes), found "${raw}"`);
  }
  return bytes;
}

function replicasArg(raw: string): number {
  const n = Number(raw);
  if (!ReplicasSchema.safeParse(n).success) {
    throw new InvalidArgumentError(`expected 1 to 5 copies (JetStream's range; at most the servers in the cluster), found "${raw}"`);
  }
  return n;
}

function runIdArg(raw: string): string {
  try {
    return checkRunId(raw);
  } catch {
    throw new InvalidArgumentError(
      `expected a run id of 1-64 letters, digits, '_' or '-' (as \`maspo run --nats\` prints it), found "${raw}"`,
    );
  }
}

/** What the worker command uses of the CLI's io, plus a stop signal for tests and embedding. */
export interface WorkerCommandIo extends CliIo {
  stop?: AbortSignal;
}

export function registerWorkerCommand(program: Command, io: WorkerCommandIo): void {
  const command = program
    .command("worker")
    .description(
      "work on the tasks of one role for every run on the cluster (or one run, with --run): executor (runs the agent graph), evaluator (judges), mutator (proposes prompts)",
    )
    .argument("<role>", "executor, evaluator or mutator", workerRole)
    .requiredOption("--nats <url>", "the NATS server(s) of the cluster (comma-separate several)", natsUrl)
    .option("--run <id>", "work for this run only (printed by `maspo run --nats`); default: every run, as runs start and end", runIdArg)
    .option(
      "--concurrency <n>",
      "tasks worked on at once in this process, shared fairly by the runs it serves",
      positiveInt("--concurrency"),
      4,
    )
    .option("--metrics-port <port>", METRICS_PORT_HELP, metricsPort)
    .option(
      "--grace-ms <ms>",
      "on SIGTERM, how long in-flight tasks may finish before they are released to another worker",
      nonNegativeInt("--grace-ms"),
      20_000,
    )
    .option(
      "--exit-when-done",
      "with --run: exit (status 0) once the run is done, e.g. for a worker run as a batch job; by default a worker idles until SIGTERM",
    )
    .option(
      "--cache-ttl <duration>",
      `how long the cluster's shared LLM response cache keeps an entry (e.g. 12h, 30d; applied to the cache bucket; default ${RESPONSE_CACHE_DEFAULTS.ttlMs / 86_400_000}d for a new bucket)`,
      cacheTtl,
    )
    .option(
      "--cache-max-bytes <size>",
      `the shared LLM response cache's size cap, oldest entries dropped first (e.g. 512MiB, 4GiB; applied to the cache bucket; default ${RESPONSE_CACHE_DEFAULTS.maxBytes / 1024 ** 3}GiB for a new bucket)`,
      cacheMaxBytes,
    )
    .option(
      "--replicas <n>",
      "copies of the cluster-wide KV buckets (response cache, run registry) if this worker is first to create them, or to scale them up to (default: min(3, servers in the cluster), 1 on a single server)",
      replicasArg,
    );
  addNatsAuthOptions(command);
  command.action(async (role: WorkerRole, flags: WorkerFlags) => {
    if (flags.exitWhenDone === true && flags.run === undefined) {
      throw new RefusedError("--exit-when-done needs --run <id>: a worker serving every run has no last run to wait for");
    }
    const cacheBounds: Partial<ResponseCacheBounds> = {
      ...(flags.cacheTtl !== undefined ? { ttlMs: flags.cacheTtl } : {}),
      ...(flags.cacheMaxBytes !== undefined ? { maxBytes: flags.cacheMaxBytes } : {}),
    };
    const log = pino({ base: { role, run: flags.run } }, pino.destination({ fd: 2, sync: true }));
    const stopper = new AbortController();
    const onSignal = (signal: NodeJS.Signals): void => {
      log.info({ event: "signal", signal }, `${signal}: draining`);
      stopper.abort();
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
    io.stop?.addEventListener("abort", () => stopper.abort(), { once: true });
    try {
      await runWorker({
        role,
        ...(flags.run !== undefined ? { runId: flags.run } : {}),
        nats: natsAuthOf(flags),
        concurrency: flags.concurrency,
        ...(flags.metricsPort !== undefined ? { metricsPort: flags.metricsPort } : {}),
        graceMs: flags.graceMs,
        exitWhenDone: flags.exitWhenDone === true,
        cacheBounds,
        ...(flags.replicas !== undefined ? { replicas: flags.replicas } : {}),
        env: io.env,
        log,
        stop: stopper.signal,
      });
    } finally {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    }
  });
}

/**
 * `maspo worker executor|evaluator|mutator --nats <url> --run <id>`: one worker process of a cluster
 * run (see cluster-worker.ts). Logs are JSON lines on stderr; SIGTERM or SIGINT drains it and exits 0.
 */
import { WorkerRoleSchema, type WorkerRole } from "@maspo/core";
import { checkRunId } from "@maspo/cluster";
import { type Command, InvalidArgumentError } from "commander";
import pino from "pino";
import type { CliIo } from "../cli-io.js";
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
  run: string;
  concurrency: number;
  metricsPort?: MetricsPort;
  graceMs: number;
  exitWhenDone?: boolean;
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
      "work on a cluster run's tasks of one role: executor (runs the agent graph), evaluator (judges), mutator (proposes prompts)",
    )
    .argument("<role>", "executor, evaluator or mutator", workerRole)
    .requiredOption("--nats <url>", "the NATS server(s) of the cluster (comma-separate several)", natsUrl)
    .requiredOption("--run <id>", "the run to work for (printed by `maspo run --nats`)", runIdArg)
    .option("--concurrency <n>", "tasks worked on at once in this process", positiveInt("--concurrency"), 4)
    .option("--metrics-port <port>", METRICS_PORT_HELP, metricsPort)
    .option(
      "--grace-ms <ms>",
      "on SIGTERM, how long in-flight tasks may finish before they are released to another worker",
      nonNegativeInt("--grace-ms"),
      20_000,
    )
    .option(
      "--exit-when-done",
      "exit (status 0) once the run is done, e.g. for a worker run as a batch job; by default a worker idles until SIGTERM",
    );
  addNatsAuthOptions(command);
  command.action(async (role: WorkerRole, flags: WorkerFlags) => {
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
        runId: flags.run,
        nats: natsAuthOf(flags),
        concurrency: flags.concurrency,
        ...(flags.metricsPort !== undefined ? { metricsPort: flags.metricsPort } : {}),
        graceMs: flags.graceMs,
        exitWhenDone: flags.exitWhenDone === true,
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

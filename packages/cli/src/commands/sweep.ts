/**
 * `maspo sweep <sweep.yaml>`: many runs as one job — a base spec, a grid or list of overrides, a list
 * of seeds. Every expanded spec is validated before anything starts (every problem of every run at
 * once, exit 2); the runs go concurrently, embedded or on a cluster's shared worker pool (--nats);
 * a line per run started and finished shows progress; the summary goes to --out. `--record <dir>`
 * keeps every embedded run's LLM exchanges; `--replay <dir>` runs the sweep again from them, offline.
 */
import { resolve } from "node:path";
import { loadSweepPlan, sweep, type SweepCounts } from "@maspo/run";
import { type Command, InvalidArgumentError } from "commander";
import type { CliIo } from "../cli-io.js";
import { ExitStatus, RefusedError, ReportedError } from "../exit-status.js";
import { cliVersion } from "../version.js";
import {
  METRICS_LINGER_HELP,
  METRICS_PORT_HELP,
  type MetricsPort,
  type NatsFlags,
  addNatsAuthOptions,
  metricsLinger,
  metricsPort,
  natsAuthOf,
  natsUrl,
} from "../nats-flags.js";

interface SweepFlags extends NatsFlags {
  out?: string;
  maxParallel?: number;
  resume?: boolean;
  quiet?: boolean;
  metricsPort?: MetricsPort;
  metricsLinger?: number;
  record?: string;
  replay?: string;
}

function parallelism(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError(`expected a whole number from 1 to 256, found "${raw}"`);
  return n;
}

const countsLine = (c: SweepCounts): string => `${c.done}/${c.total} done, ${c.running} running, ${c.failed} failed`;
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

export function registerSweepCommand(program: Command, io: CliIo): void {
  const command = program
    .command("sweep")
    .description("run a grid of configurations × seeds of one base spec as one job, and summarise them")
    .argument("<sweep>", "sweep file (YAML or JSON): base, seeds, grid and/or configurations")
    .option("--out <dir>", "directory for the summary and every run's report (default: maspo-out/<sweep name>)")
    .option("--max-parallel <n>", "runs at once (default: the file's maxParallel, else 2)", parallelism)
    .option("--resume", "finish a half-done sweep in --out: finished runs are kept, interrupted ones resume")
    .option("--nats <url>", "run each run on the cluster at this NATS server, served by a pool of `maspo worker` processes", natsUrl)
    .option("--record <dir>", "keep every run's LLM exchanges and manifest under <dir>/runs/<label>/ (see `maspo run --record`)")
    .option("--replay <dir>", "run the sweep again from a --record directory, offline and at no cost (see `maspo run --replay`)")
    .option("--quiet", "print only the summary location and errors")
    .option(
      "--metrics-port <port>",
      `${METRICS_PORT_HELP}: every run's metrics, labelled with its run and the sweep, and the sweep's progress`,
      metricsPort,
    )
    .option("--metrics-linger <duration>", METRICS_LINGER_HELP, metricsLinger);
  addNatsAuthOptions(command);
  command.action(async (file: string, flags: SweepFlags) => {
    const recording = flags.record !== undefined ? "--record" : flags.replay !== undefined ? "--replay" : undefined;
    if (recording !== undefined) {
      if (flags.record !== undefined && flags.replay !== undefined) {
        throw new RefusedError("--record and --replay were both given: a sweep either records its exchanges or replays them");
      }
      if (flags.nats !== undefined)
        throw new RefusedError(`${recording} is for embedded sweeps: drop --nats to record or replay in one process`);
      if (flags.resume === true) throw new RefusedError(`${recording} starts every run from its beginning: drop --resume`);
    }
    // On a cluster the workers call the LLMs: API keys are needed in their environments, not here; a replay reads none.
    const plan = await loadSweepPlan(resolve(io.cwd, file), {
      env: io.env,
      checkEnv: flags.nats === undefined && flags.replay === undefined,
    });
    const outDir = resolve(io.cwd, flags.out ?? `maspo-out/${plan.name}`);
    const say = (line: string): void => {
      if (flags.quiet !== true) io.err(`${line}\n`);
    };
    say(
      `maspo sweep: ${plan.runs.length} runs (${plan.configurations.length} configurations × ${plan.runs.length / plan.configurations.length} seeds) of ${plan.base}${flags.nats !== undefined ? " on the cluster" : ""}; writing to ${outDir}`,
    );
    const { summary, files } = await sweep({
      plan,
      outDir,
      resume: flags.resume === true,
      env: io.env,
      ...(flags.maxParallel !== undefined ? { maxParallel: flags.maxParallel } : {}),
      ...(flags.nats !== undefined ? { nats: natsAuthOf({ ...flags, nats: flags.nats }) } : {}),
      ...(flags.metricsPort !== undefined ? { metricsPort: flags.metricsPort } : {}),
      ...(flags.metricsLinger !== undefined ? { metricsLingerMs: flags.metricsLinger } : {}),
      log: say,
      ...(flags.record !== undefined ? { recordDir: resolve(io.cwd, flags.record) } : {}),
      ...(flags.replay !== undefined ? { replayDir: resolve(io.cwd, flags.replay) } : {}),
      ...(recording !== undefined ? { maspoVersion: cliVersion() } : {}),
      progress: {
        runStarted: (run, counts) => say(`sweep: started ${run.label} (${countsLine(counts)})`),
        runFinished: (r, counts) =>
          say(
            r.status === "done" && r.heldOut
              ? `sweep: ${r.label}: held-out ${pct(r.heldOut.baseline)} → ${pct(r.heldOut.final)} (${countsLine(counts)})`
              : `sweep: ${r.label} FAILED: ${r.error ?? "unknown error"} (${countsLine(counts)})`,
          ),
      },
    });
    const t = summary.totals;
    say(`maspo sweep: ${t.runs} runs: ${t.done} done, ${t.failed} failed`);
    io.out(`summary: ${files.md}\n         ${files.json}\n         ${files.html}\n`);
    // Every finished run's report is written; a failed run still fails the job, so scripts notice.
    if (t.failed > 0) throw new ReportedError(ExitStatus.failed, `${t.failed} of ${t.runs} runs failed; see ${files.md}`);
  });
}

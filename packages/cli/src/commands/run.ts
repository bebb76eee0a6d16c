/**
 * `maspo run <spec>`: validates the spec (refusing with every problem, exit 2), then runs the MASPO
 * optimization and prints where the report is: embedded in this process by default, or as the
 * coordinator of a cluster of `maspo worker` processes with `--nats`. `--resume` continues from the
 * checkpoint: the output directory's (embedded) or the run's in JetStream KV (cluster). `--record
 * <dir>` keeps every LLM exchange of an embedded run; `--replay <dir>` runs it again from them, offline.
 */
import { dirname, resolve } from "node:path";
import { type Issue, type SpecOverride, ValidationError, loadSpecFile, parseOverride } from "@maspo/core";
import { ABLATION_FLAGS, ABLATION_WARNINGS, type Ablations } from "@maspo/core";
import { type Report, floorBreachText } from "@maspo/coordinator";
import { type Command, InvalidArgumentError } from "commander";
import type { CliIo } from "../cli-io.js";
import { runCluster, runEmbedded } from "@maspo/run";
import { bundledWorldNames } from "@maspo/simlm";
import { ExitStatus, RefusedError, ReportedError } from "../exit-status.js";
import {
  METRICS_LINGER_HELP,
  METRICS_PORT_HELP,
  type MetricsPort,
  type NatsFlags,
  addNatsAuthOptions,
  metricsLinger,
  metricsPort,
  natsAuthOf,
  natsUrlIssues,
  runIdIssue,
} from "../nats-flags.js";
import { applyPreset } from "../presets.js";
import { createRunProgress, progressMode } from "../run-progress.js";
import { summarizeSpec } from "../spec-summary.js";
import { cliVersion } from "../version.js";

interface RunFlags extends NatsFlags {
  out?: string;
  seed?: number;
  set: SpecOverride[];
  resume?: string | true;
  runId?: string;
  metricsPort?: MetricsPort;
  metricsLinger?: number;
  preset?: string;
  quiet?: boolean;
  jsonLogs?: boolean;
  lookahead: boolean;
  misalignment: boolean;
  refresh: boolean;
  traces: boolean;
  globalOnly?: boolean;
  independent?: boolean;
  record?: string;
  replay?: string;
}

function seedOf(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number ≥ 0, found "${raw}"`);
  return n;
}

/** `--set` may be given many times; each is checked at once, so a malformed one names itself. */
function collectOverride(raw: string, previous: SpecOverride[]): SpecOverride[] {
  return [...previous, parseOverride(raw)];
}

function presetName(raw: string): string {
  if (raw !== "paper") throw new InvalidArgumentError(`expected a preset name (paper), found "${raw}"`);
  return raw;
}

/** The cluster flags' problems, found before a connection is tried: the NATS URL, and the run id given by --run-id or --resume. */
function clusterArgIssues(flags: RunFlags): Issue[] {
  if (flags.nats === undefined) return [];
  const issues = natsUrlIssues(flags.nats);
  const ids = [
    ["--run-id", flags.runId],
    ["--resume", typeof flags.resume === "string" ? flags.resume : undefined],
  ] as const;
  for (const [flag, id] of ids) {
    const issue = id === undefined ? undefined : runIdIssue(id, flag);
    if (issue) issues.push(issue);
  }
  return issues;
}

export function registerRunCommand(program: Command, io: CliIo): void {
  const command = program
    .command("run")
    .description("optimize the prompts of every agent of a run spec (embedded, or over a NATS cluster with --nats)")
    .argument("<spec>", "run spec file (YAML or JSON)")
    .option("--out <dir>", "directory for the report (embedded: also the checkpoint and response cache) (default: maspo-out/<spec name>)")
    .option(
      "--resume [dir|runId]",
      "resume an interrupted run: embedded, the one checkpointed in this directory (also the output directory; default --out); with --nats, the run with this id (default --run-id) from its checkpoint in JetStream KV",
    )
    // --nats, --run-id and --resume are checked in the action, together and before anything connects.
    .option("--nats <url>", "coordinate a cluster of `maspo worker` processes over this NATS server (comma-separate several)")
    .option("--run-id <id>", "with --nats: the run's id on the cluster, which workers are started with (default: derived from the spec)")
    .option(
      "--metrics-port <port>",
      `${METRICS_PORT_HELP}: the run's metrics (embedded: also its workers' task and LLM metrics)`,
      metricsPort,
    )
    .option("--metrics-linger <duration>", METRICS_LINGER_HELP, metricsLinger)
    .option(
      "--preset <name>",
      "paper: the paper's setting (weights 0.4/0.4/0.2, K=2, 2 children, 3 steps per agent, 3 rounds, pool 50, minibatch 10, 3 cases)",
      presetName,
    )
    .option("--seed <n>", "the run's seed, overriding the spec's `seed`", seedOf)
    .option(
      "--set <path=value>",
      "override a spec field by path before validation, e.g. --set search.beamSize=8 (value read as YAML; repeatable)",
      collectOverride,
      [],
    )
    .option(
      "--record <dir>",
      "keep every LLM exchange (request and response bodies; no request headers, keys scrubbed) and a manifest (spec hash, seed, models, prompt versions) in this new or empty directory, for --replay (embedded runs)",
    )
    .option(
      "--replay <dir>",
      "run again from a --record directory: every LLM request is answered from it, offline and at no cost (no key needed); the report is the recorded one plus a note that it was replayed; a request it lacks stops the run (E_REPLAY_MISSING)",
    )
    .option("--quiet", "print only the report location and errors")
    .option("--json-logs", "log progress as JSON lines")
    .option("--no-lookahead", "ablation (benchmarking only): drop the Lookahead Potential lens")
    .option("--no-misalignment", "ablation (benchmarking only): no misalignment buffer or hard negatives")
    .option("--no-refresh", "ablation (benchmarking only): skip Beam Refresh")
    .option("--global-only", "ablation (benchmarking only): score by the final outcome alone")
    .option("--independent", "ablation (benchmarking only): optimize each agent alone, no downstream re-evaluation")
    .option("--no-traces", "ablation (benchmarking only): mutate without execution traces");
  addNatsAuthOptions(command);
  command.addHelpText(
    "after",
    `
Record and replay (embedded runs):
  maspo run spec.yaml --record rec/      keeps every LLM exchange (bodies; no request headers, keys scrubbed) in
                                         rec/exchanges.jsonl and what was run in rec/manifest.json
  maspo run spec.yaml --replay rec/      the same run offline: no key read, no network; report.json is the
                                         recorded one in every field plus a "replay" note (newCalls: 0)
  A replay refuses another spec, seed, ablations or dataset (exit 2, each difference listed), and stops at a
  request the recording lacks (exit 1, E_REPLAY_MISSING) rather than calling live.`,
  );
  command.action((file: string, flags: RunFlags) => runCommand(file, flags, io));
}

/** The command itself: validate (exit 2 on any problem), announce ablations, run embedded or on a cluster, print where the report is. */
async function runCommand(file: string, flags: RunFlags, io: CliIo): Promise<void> {
  const specPath = resolve(io.cwd, file);
  // A coordinator calls no LLM: API keys are only needed in the workers' environments.
  const overrides = [...flags.set, ...(flags.seed !== undefined ? [{ path: "seed", value: flags.seed }] : [])];
  const argIssues = clusterArgIssues(flags);
  let loaded;
  try {
    loaded = await loadSpecFile(specPath, {
      env: io.env,
      // A replay reads no key: its answers come from the recording.
      checkEnv: flags.nats === undefined && flags.replay === undefined,
      overrides,
      simlmWorlds: bundledWorldNames(),
    });
  } catch (error) {
    // Every problem at once: the flags' with the spec's.
    if (error instanceof ValidationError && argIssues.length > 0) throw new ValidationError(file, [...argIssues, ...error.issues]);
    throw error;
  }
  if (argIssues.length > 0) throw new ValidationError("maspo run", argIssues);
  const spec = flags.preset === "paper" ? applyPreset(loaded, "paper") : loaded;
  const ablations: Ablations = {
    noLookahead: !flags.lookahead,
    noMisalignment: !flags.misalignment,
    noRefresh: !flags.refresh,
    globalOnly: flags.globalOnly === true,
    independent: flags.independent === true,
    noTraces: !flags.traces,
  };
  const resumeArg = typeof flags.resume === "string" ? flags.resume : undefined;
  const outName = `maspo-out/${(spec.name ?? spec.task.name).replace(/[^A-Za-z0-9_-]+/g, "-")}`;
  const stream = process.stderr;
  const mode = progressMode({ quiet: flags.quiet === true, jsonLogs: flags.jsonLogs === true }, stream);
  const progress = createRunProgress(mode, mode === "json" ? process.stdout : stream);
  const say = (line: string): void => {
    if (mode !== "quiet") io.err(`${line}\n`);
  };
  // The escalation protocol: an ablation is announced, with what it removes, and labels the run.
  for (const [key, on] of Object.entries(ablations) as [keyof Ablations, boolean][]) {
    if (on) say(`maspo: ablation ${ABLATION_FLAGS[key]} (benchmarking only, not MASPO): ${ABLATION_WARNINGS[key]}`);
  }
  if (spec.task.metric.kind === "judge") {
    say(
      "maspo: no labels (task.metric: judge): every train and held-out number below is the prompt set's judged win rate against the baseline (initial prompts) set's final answers, both orders; 50% = as good as the baseline; not an accuracy",
    );
  }

  let report: Report;
  let files: { md: string; json: string; html: string; checkpoint: string };
  const metrics = {
    ...(flags.metricsPort !== undefined ? { metricsPort: flags.metricsPort } : {}),
    ...(flags.metricsLinger !== undefined ? { metricsLingerMs: flags.metricsLinger } : {}),
  };
  if (flags.nats !== undefined) {
    if (flags.record !== undefined || flags.replay !== undefined) {
      throw new RefusedError(
        `--${flags.record !== undefined ? "record" : "replay"} is for embedded runs: a cluster's exchanges are made by its workers, which do not record them; drop --nats to record or replay in one process`,
      );
    }
    if (resumeArg !== undefined && flags.runId !== undefined && resumeArg !== flags.runId) {
      throw new RefusedError(`--resume ${resumeArg} and --run-id ${flags.runId} name different runs; give one of them`);
    }
    const outDir = resolve(io.cwd, flags.out ?? outName);
    say(`maspo: ${file}: ${summarizeSpec(spec)}; coordinating workers over NATS; writing the report to ${outDir}`);
    const runId = resumeArg ?? flags.runId;
    ({ report, files } = await runCluster({
      spec,
      specDir: dirname(specPath),
      outDir,
      ...(runId !== undefined ? { runId } : {}),
      resume: flags.resume !== undefined,
      ablations,
      nats: natsAuthOf({ ...flags, nats: flags.nats }),
      ...metrics,
      progress,
      log: say,
    }));
  } else {
    if (flags.runId !== undefined) {
      throw new RefusedError("--run-id is for cluster mode: add --nats <url>, or drop it");
    }
    const outDir = resolve(io.cwd, resumeArg ?? flags.out ?? outName);
    say(`maspo: ${file}: ${summarizeSpec(spec)}; writing to ${outDir}`);
    ({ report, files } = await runEmbedded({
      spec,
      specDir: dirname(specPath),
      outDir,
      resume: flags.resume !== undefined,
      ablations,
      env: io.env,
      progress,
      ...metrics,
      log: say,
      ...(flags.record !== undefined ? { recordDir: resolve(io.cwd, flags.record) } : {}),
      ...(flags.replay !== undefined ? { replayDir: resolve(io.cwd, flags.replay) } : {}),
      maspoVersion: cliVersion(),
    }));
  }
  const h = report.delta.heldOut;
  say(
    `maspo: held-out ${h.measure === "judge-vs-baseline" ? "judged win rate vs the baseline (no labels; 50% = as good as the baseline) " : ""}${(h.baseline * 100).toFixed(1)}% → ${(h.final * 100).toFixed(1)}% (${h.absolute >= 0 ? "+" : ""}${(h.absolute * 100).toFixed(1)} points); stopped: ${report.stopReason}`,
  );
  io.out(`report: ${files.md}\n        ${files.json}\n        ${files.html}\n`);
  if (report.floorBreaches.length > 0) {
    // Said even with --quiet: the run finished, but its result must not be taken as meeting its floors.
    for (const b of report.floorBreaches) io.err(`maspo: the returned prompt set breaks a guard floor: ${floorBreachText(b)}\n`);
    throw new ReportedError(ExitStatus.floorBreached, "the returned prompt set breaks a guard floor");
  }
}

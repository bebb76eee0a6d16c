/**
 * `maspo run <spec>`: validates the spec (refusing with every problem, exit 2), then runs the MASPO
 * optimization in the embedded mode and prints where the report is. `--resume` continues from the
 * checkpoint in the output directory. Cluster mode (`--nats`) is refused until its coordinator exists.
 */
import { dirname, resolve } from "node:path";
import { loadSpecFile } from "@maspo/core";
import type { Ablations } from "@maspo/coordinator";
import { type Command, InvalidArgumentError } from "commander";
import type { CliIo } from "../cli-io.js";
import { runEmbedded } from "../embedded-run.js";
import { NotBuiltError } from "../exit-status.js";
import { applyPreset } from "../presets.js";
import { createRunProgress, progressMode } from "../run-progress.js";
import { summarizeSpec } from "../spec-summary.js";

interface RunFlags {
  out?: string;
  resume?: string;
  nats?: string;
  preset?: string;
  quiet?: boolean;
  jsonLogs?: boolean;
  lookahead: boolean;
  misalignment: boolean;
  refresh: boolean;
  traces: boolean;
  globalOnly?: boolean;
  independent?: boolean;
}

function natsUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidArgumentError(`expected a NATS URL like nats://127.0.0.1:4222, found "${raw}"`);
  }
  if (!["nats:", "tls:", "ws:", "wss:"].includes(url.protocol)) {
    throw new InvalidArgumentError(`expected a nats://, tls://, ws:// or wss:// URL, found "${raw}"`);
  }
  return raw;
}

function presetName(raw: string): string {
  if (raw !== "paper") throw new InvalidArgumentError(`expected a preset name (paper), found "${raw}"`);
  return raw;
}

export function registerRunCommand(program: Command, io: CliIo): void {
  program
    .command("run")
    .description("optimize the prompts of every agent of a run spec (embedded, in one process)")
    .argument("<spec>", "run spec file (YAML or JSON)")
    .option("--out <dir>", "directory for the report, checkpoint and response cache (default: maspo-out/<spec name>)")
    .option("--resume <dir>", "resume the run checkpointed in this directory (it is also the output directory)")
    .option("--nats <url>", "coordinate a cluster of workers over this NATS server", natsUrl)
    .option("--preset <name>", "paper: the paper's setting (weights 0.4/0.4/0.2, K=2, 2 children, 3 steps per agent, 3 rounds, pool 50, minibatch 10, 3 cases)", presetName)
    .option("--quiet", "print only the report location and errors")
    .option("--json-logs", "log progress as JSON lines")
    .option("--no-lookahead", "ablation (benchmarking only): drop the Lookahead Potential lens")
    .option("--no-misalignment", "ablation (benchmarking only): no misalignment buffer or hard negatives")
    .option("--no-refresh", "ablation (benchmarking only): skip Beam Refresh")
    .option("--global-only", "ablation (benchmarking only): score by the final outcome alone")
    .option("--independent", "ablation (benchmarking only): optimize each agent alone, no downstream re-evaluation")
    .option("--no-traces", "ablation (benchmarking only): mutate without execution traces")
    .action(async (file: string, flags: RunFlags) => {
      const specPath = resolve(io.cwd, file);
      const loaded = await loadSpecFile(specPath, { env: io.env });
      const spec = flags.preset === "paper" ? applyPreset(loaded, "paper") : loaded;
      if (flags.nats !== undefined) {
        throw new NotBuiltError(
          `cluster mode is not built yet: the spec is valid, but this version of maspo runs it only embedded (drop --nats ${flags.nats})`,
        );
      }
      const ablations: Ablations = {
        noLookahead: !flags.lookahead,
        noMisalignment: !flags.misalignment,
        noRefresh: !flags.refresh,
        globalOnly: flags.globalOnly === true,
        independent: flags.independent === true,
        noTraces: !flags.traces,
      };
      const outDir = resolve(io.cwd, flags.resume ?? flags.out ?? `maspo-out/${(spec.name ?? spec.task.name).replace(/[^A-Za-z0-9_-]+/g, "-")}`);
      const stream = process.stderr;
      const mode = progressMode({ quiet: flags.quiet === true, jsonLogs: flags.jsonLogs === true }, stream);
      const progress = createRunProgress(mode, mode === "json" ? process.stdout : stream);
      if (mode !== "quiet") io.err(`maspo: ${file}: ${summarizeSpec(spec)}; writing to ${outDir}\n`);
      const { report, files } = await runEmbedded({
        spec,
        specDir: dirname(specPath),
        outDir,
        resume: flags.resume !== undefined,
        ablations,
        env: io.env,
        progress,
      });
      const h = report.delta.heldOut;
      if (mode !== "quiet") {
        io.err(
          `maspo: held-out ${(h.baseline * 100).toFixed(1)}% → ${(h.final * 100).toFixed(1)}% (${h.absolute >= 0 ? "+" : ""}${(h.absolute * 100).toFixed(1)} points); stopped: ${report.stopReason}\n`,
        );
      }
      io.out(`report: ${files.md}\n        ${files.json}\n        ${files.html}\n`);
    });
}

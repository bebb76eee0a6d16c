/**
 * `maspo run <spec>`: validates the spec (refusing with every problem, exit 2), then runs the MASPO
 * optimization — embedded by default, over NATS with --nats. Until the engine exists it says so
 * plainly and exits 3; it never pretends to have run.
 */
import { resolve } from "node:path";
import { loadSpecFile } from "@maspo/core";
import { type Command, InvalidArgumentError } from "commander";
import type { CliIo } from "../cli-io.js";
import { NotBuiltError } from "../exit-status.js";
import { summarizeSpec } from "../spec-summary.js";

interface RunFlags {
  out?: string;
  resume?: string;
  nats?: string;
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

export function registerRunCommand(program: Command, io: CliIo): void {
  program
    .command("run")
    .description("optimize the prompts of every agent of a run spec (embedded by default; --nats for a cluster)")
    .argument("<spec>", "run spec file (YAML or JSON)")
    .option("--out <dir>", "directory for the report, trajectory and checkpoints")
    .option("--resume <dir>", "resume the run checkpointed in this directory")
    .option("--nats <url>", "coordinate a cluster of workers over this NATS server", natsUrl)
    .action(async (file: string, flags: RunFlags) => {
      const spec = await loadSpecFile(resolve(io.cwd, file), { env: io.env });
      io.out(`ok: ${file}: ${summarizeSpec(spec)}\n`);
      const mode = flags.nats !== undefined ? `cluster mode (${flags.nats})` : "embedded mode";
      throw new NotBuiltError(
        `the optimization engine is not built yet: the spec is valid, but this version of maspo cannot run it in ${mode}` +
          `${flags.out !== undefined ? `; nothing was written to ${flags.out}` : ""}`,
      );
    });
}

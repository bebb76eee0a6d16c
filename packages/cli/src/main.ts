/**
 * The `maspo` command line: builds the program from one module per command and turns every outcome
 * into an exit status (see exit-status.ts). Callable in process with injected streams.
 */
import { MaspoError } from "@maspo/core";
import { Command, CommanderError } from "commander";
import { type CliIo, processIo } from "./cli-io.js";
import { registerInitCommand } from "./commands/init.js";
import { registerRunCommand } from "./commands/run.js";
import { registerSchemaCommand } from "./commands/schema.js";
import { registerSimCommands } from "./commands/sim.js";
import { registerSweepCommand } from "./commands/sweep.js";
import { registerValidateCommand } from "./commands/validate.js";
import { registerWorkerCommand } from "./commands/worker.js";
import { ExitStatus, ReportedError, exitStatusOf } from "./exit-status.js";
import { cliVersion } from "./version.js";

/** The program with every command registered; output goes to `io`, and errors are thrown, not exited on. */
export function buildProgram(io: CliIo): Command {
  const program = new Command("maspo")
    .description("Joint prompt optimization for LLM multi-agent systems (the MASPO method).")
    .version(cliVersion(), "-V, --version", "print the maspo version")
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showSuggestionAfterError(true);
  registerValidateCommand(program, io);
  registerSchemaCommand(program, io);
  registerInitCommand(program, io);
  registerRunCommand(program, io);
  registerSweepCommand(program, io);
  registerSimCommands(program, io);
  registerWorkerCommand(program, io);
  return program;
}

/**
 * An error as the user reads it: its stable code first (docs/errors.md says what it means and what to
 * do), then the message — unless the message already starts with it.
 */
function withCode(error: MaspoError): string {
  return error.message.startsWith(error.code) ? error.message : `${error.code}: ${error.message}`;
}

/** Run `maspo` on process-style argv (`[node, script, ...args]`); resolves to the exit status. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: "node" });
    return ExitStatus.ok;
  } catch (error) {
    // commander has printed its own message (usage errors, help, version).
    if (!(error instanceof CommanderError) && !(error instanceof ReportedError)) {
      io.err(
        error instanceof MaspoError
          ? `${withCode(error)}\n`
          : `maspo: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    }
    return exitStatusOf(error);
  }
}

/** @maspo/cli: the `maspo` command, also callable in process (tests, embedding). */
export { buildProgram, main } from "./main.js";
export { processIo, type CliIo } from "./cli-io.js";
export { ExitStatus, RefusedError, ReportedError, exitStatusOf } from "./exit-status.js";
export { runSpecSchemaText, sweepSchemaText } from "./commands/schema.js";
export { createRunProgress, progressMode, type ProgressMode } from "./run-progress.js";
export { registerSimCommands } from "./commands/sim.js";

/** @maspo/cli: the `maspo` command, also callable in process (tests, embedding). */
export { buildProgram, main } from "./main.js";
export { processIo, type CliIo } from "./cli-io.js";
export { ExitStatus, RefusedError, ReportedError, exitStatusOf } from "./exit-status.js";
export { runSpecSchemaText } from "./commands/schema.js";

/**
 * Everything the `maspo` command touches of its process, passed in: output streams, environment and
 * working directory. Tests call `main()` in process with their own; the installed command uses the real ones.
 */
import type { Env } from "@maspo/core";

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Where API key variables are looked up. */
  env: Env;
  /** What relative paths on the command line are relative to. */
  cwd: string;
}

export function processIo(): CliIo {
  return {
    out: writerTo(process.stdout),
    err: writerTo(process.stderr),
    env: process.env,
    cwd: process.cwd(),
  };
}

/**
 * Writes to a standard stream until its reader goes away (`maspo run --help | head`): then the
 * output ends, not the command — a run goes on and still writes its report, where an unhandled
 * EPIPE would have crashed it with a stack trace. Any other write error is thrown as before.
 */
function writerTo(stream: NodeJS.WriteStream): (text: string) => void {
  let open = true;
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    open = false;
  });
  return (text) => {
    if (open) stream.write(text);
  };
}

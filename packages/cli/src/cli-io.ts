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
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
}

/**
 * The `maspo` command's exit statuses, and the errors that choose them. Scripts rely on these:
 * 0 done, 1 failed, 2 refused (invalid spec or arguments; nothing was started), 3 stopped (a run that
 * can be resumed: its checkpoint is kept), 4 done but the returned prompt set breaks a guard floor
 * (the report says which; the prompts are there, and must not be used as if they met it).
 */
import { ERROR_CODES, MaspoError, isErrorCode } from "@maspo/core";
import { CommanderError } from "commander";

export const ExitStatus = { ok: 0, failed: 1, refused: 2, stopped: 3, floorBreached: 4 } as const;
export type ExitStatus = (typeof ExitStatus)[keyof typeof ExitStatus];

/** The user asked for something maspo will not do as asked (e.g. overwrite files without --force). */
export class RefusedError extends MaspoError<"E_REFUSED"> {
  constructor(message: string) {
    super("E_REFUSED", message);
  }
}

/** The command has already told the user what went wrong; only the exit status is left to give. */
export class ReportedError extends MaspoError<"E_REPORTED"> {
  readonly status: ExitStatus;

  constructor(status: ExitStatus, message: string) {
    super("E_REPORTED", message);
    this.status = status;
  }
}

export function exitStatusOf(error: unknown): ExitStatus {
  if (error instanceof ReportedError) return error.status;
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return ExitStatus.ok;
    return ExitStatus.refused;
  }
  // The catalogue decides: docs/errors.md and the command can never disagree.
  if (error instanceof MaspoError && isErrorCode(error.code)) return ExitStatus[ERROR_CODES[error.code].exit];
  return ExitStatus.failed;
}

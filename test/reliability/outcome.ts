/**
 * How a reliability case judges how a `maspo` process ended: the reference's result, a clear error
 * (exit 2 naming what was wrong, or exit 1 with a stable E_ code naming it; never a stack trace), or
 * neither — a hang, a crash, an exit 0 on a different result, an error that names nothing.
 */
import type { ReportJson } from "../fixtures/maspo-processes.js";
import { drift, type RunEnd } from "./runs.js";

/** "contained": an input a run must survive, survived (the run ended with the reference's result). */
export type OutcomeKind = "same result" | "contained" | "clear error" | "unclear";

export interface Outcome {
  kind: OutcomeKind;
  /** The E_ code of an error outcome, if it printed one. */
  code?: string;
  why: string;
}

/** A JavaScript stack frame in the output: an error that reached the user unexplained. */
const STACK_FRAME = /\n\s+at .+\(?(node:|file:|\/).+:\d+:\d+\)?/;
/** How an error that names the thing at fault but prints no stable code is told apart. */
export const NO_CODE = "exit 1 without an E_ code";
const ERROR_CODE = /\bE_[A-Z][A-Z0-9_]+\b/;

/**
 * `names`: what the error must name (the field, flag, file or endpoint at fault). Exit 2 is a refusal
 * before anything started, which names the field; exit 1 must carry an E_ code too.
 */
export function judgeError(code: number | null, output: string, names: RegExp, hung = false): Outcome {
  if (hung) return { kind: "unclear", why: "did not exit (killed after the limit)" };
  if (STACK_FRAME.test(output)) return { kind: "unclear", why: `a stack trace: ${firstLines(output)}` };
  const errorCode = ERROR_CODE.exec(output)?.[0];
  if (code === 2 || code === 1) {
    if (!names.test(output)) return { kind: "unclear", why: `exit ${code} without naming ${String(names)}: ${firstLines(output)}` };
    if (code === 1 && errorCode === undefined) return { kind: "unclear", why: `${NO_CODE}: ${firstLines(output)}` };
    return { kind: "clear error", ...(errorCode ? { code: errorCode } : {}), why: firstLines(output) };
  }
  return { kind: "unclear", why: `exit ${code}: ${firstLines(output)}` };
}

/** A run that should end with the reference's result, or else a clear error naming `names`. */
export function judgeRun(end: RunEnd, reference: ReportJson, names: RegExp): Outcome {
  if (end.code === 0 && !end.hung) {
    const differs = drift(end.report, reference);
    return differs.length === 0
      ? { kind: "same result", why: "exit 0, the reference's result" }
      : { kind: "unclear", why: `exit 0 but ${differs.join(", ")} differ` };
  }
  return judgeError(end.code, end.output, names, end.hung);
}

/** The lines that say what went wrong (errors first), short enough for a table cell. */
export function firstLines(output: string): string {
  // Not the spec summary or connection lines every run prints first; of --json-logs lines, only
  // warnings and errors, by their message.
  const lines = output
    .split("\n")
    .map((l) => (l.startsWith("{") ? jsonLogMessage(l) : l))
    .filter((l) => l.trim() !== "" && !l.startsWith("--- ") && !/^maspo: (.*: task "|run \S+ on nats)/.test(l));
  const errors = lines.filter((l) => /\bE_[A-Z]|error|refus|expected .*found|invalid|cannot|fix it|failed/i.test(l));
  // Control characters (a binary input echoed back) would break the Markdown and the JSON's readers.
  return (
    (errors.length > 0 ? errors : lines)
      .slice(0, 3)
      .join(" / ")
      // eslint-disable-next-line no-control-regex -- binary inputs are echoed back
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/g, "?")
      .slice(0, 300)
  );
}

/** A --json-logs line's message if it is a warning or an error (pino level ≥ 40), else "". */
function jsonLogMessage(line: string): string {
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string };
    return (entry.level ?? 0) >= 40 ? (entry.msg ?? "") : "";
  } catch {
    return line;
  }
}

/**
 * The error classes every maspo package throws. Each carries a stable `code` (for scripts, metrics
 * and tests to match on) and a message that says what to do about it.
 */
import type { ErrorCode } from "./error-codes.js";

/**
 * Codes come from the catalogue (error-codes.ts), so a typo is a compile error. A subclass with a
 * fixed set of codes narrows `C` to them (NatsConnectError: its two codes) so it cannot be given another.
 */
export class MaspoError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem found in user input (a spec, a world file, a dataset): where, what was expected, what was found. */
export interface Issue {
  /** Dotted/indexed path into the input, e.g. `agents[1].predecessors[0]`; `(root)` for the whole document. */
  path: string;
  expected: string;
  found: string;
  /** Extra guidance, e.g. a did-you-mean suggestion. */
  hint?: string;
}

export function formatIssue(issue: Issue): string {
  const hint = issue.hint ? ` (${issue.hint})` : "";
  return `${issue.path}: expected ${issue.expected}, found ${issue.found}${hint}`;
}

/**
 * Invalid input, with every problem found in it. Thrown only after collecting all issues, so a user
 * fixes their file in one pass instead of one error per run.
 */
export class ValidationError extends MaspoError<"E_VALIDATION"> {
  readonly issues: readonly Issue[];
  readonly source: string;

  constructor(source: string, issues: readonly Issue[]) {
    const lines = issues.map((i) => `  - ${formatIssue(i)}`).join("\n");
    super(
      "E_VALIDATION",
      `${source}: ${issues.length} problem${issues.length === 1 ? "" : "s"}; fix ${issues.length === 1 ? "it" : "them"} and try again:\n${lines}`,
    );
    this.issues = issues;
    this.source = source;
  }
}

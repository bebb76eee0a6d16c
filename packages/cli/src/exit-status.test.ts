// The catalogue documents each code's exit status; exitStatusOf decides it, by the error's class.
// They must agree, or docs/errors.md tells scripts a status the command does not give.
import { ERROR_CODES, EXIT_FAMILIES, MaspoError, ValidationError, type ErrorCode, type ExitFamily } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { ExitStatus, RefusedError, ReportedError, exitStatusOf } from "./exit-status.js";

/** An error of `code` as maspo throws it: the codes with a class of their own by that class. */
function thrownWith(code: ErrorCode): MaspoError {
  switch (code) {
    case "E_VALIDATION":
      return new ValidationError("input", []);
    case "E_REFUSED":
      return new RefusedError("refused");
    case "E_REPORTED":
      // Carries the status its thrower chose; `maspo validate`, the only one, chooses refused.
      return new ReportedError(ExitStatus.refused, "reported");
    default:
      return new MaspoError(code, "failed");
  }
}

describe("exit statuses", () => {
  it.each(Object.keys(ERROR_CODES) as ErrorCode[])("%s exits as the catalogue says", (code) => {
    expect(exitStatusOf(thrownWith(code))).toBe(ExitStatus[ERROR_CODES[code].exit]);
  });

  it("number the catalogue's families as the command does", () => {
    for (const family of Object.keys(EXIT_FAMILIES) as ExitFamily[]) expect(EXIT_FAMILIES[family].status).toBe(ExitStatus[family]);
  });
});

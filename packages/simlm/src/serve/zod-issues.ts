/**
 * zod validation failures as maspo `Issue`s (path, expected, found), so a bad request body or realism
 * block is reported field by field, every problem at once.
 */
import type { Issue } from "@maspo/core";
import type { z } from "zod";

/** `messages[0].content`-style path; `(root)` for the whole document. */
export function issuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(root)" : out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** A short, readable rendering of the value found at a path. */
export function describeFound(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function expectedOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return String(issue.expected);
    case "invalid_value":
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      return `${issue.inclusive === false ? ">" : ">="} ${String(issue.minimum)}${issue.origin === "number" ? "" : ` (${issue.origin} size)`}`;
    case "too_big":
      return `${issue.inclusive === false ? "<" : "<="} ${String(issue.maximum)}${issue.origin === "number" ? "" : ` (${issue.origin} size)`}`;
    case "unrecognized_keys":
      return `no unknown keys`;
    default:
      return issue.message;
  }
}

export function zodIssues(error: z.ZodError, input: unknown): Issue[] {
  return error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") {
      return {
        path: issuePath(issue.path),
        expected: expectedOf(issue),
        found: issue.keys.map((k) => JSON.stringify(k)).join(", "),
      };
    }
    return {
      path: issuePath(issue.path),
      expected: expectedOf(issue),
      found: describeFound(valueAt(input, issue.path)),
      ...(issue.code === "custom" || issue.code === "invalid_type" ? {} : { hint: issue.message }),
    };
  });
}

/**
 * zod failures as maspo `Issue`s (path, expected, found), so a bad evaluation or mutation request is
 * reported field by field, every problem at once.
 */
import type { Issue } from "@maspo/core";
import type { z } from "zod";

function pathOf(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
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

export function describeFound(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function zodIssues(error: z.ZodError, input: unknown, prefix = ""): Issue[] {
  return error.issues.map((issue) => {
    const path = pathOf(issue.path);
    const expected =
      issue.code === "invalid_type"
        ? String(issue.expected)
        : issue.code === "too_small"
          ? `${issue.inclusive === false ? ">" : ">="} ${String(issue.minimum)}${issue.origin === "number" ? "" : ` (${issue.origin} size)`}`
          : issue.message;
    return {
      path: prefix === "" ? path : path === "(root)" ? prefix : `${prefix}.${path}`,
      expected,
      found: describeFound(valueAt(input, issue.path)),
    };
  });
}

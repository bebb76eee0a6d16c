/**
 * Turns zod's issues into maspo `Issue`s (path, expected, found), so input errors read the same
 * everywhere: "timeoutMs: expected a positive integer, found -5".
 */
import type { z } from "zod";
import type { Issue } from "./errors.js";

/**
 * For spec files, spec/zod-issues.ts goes further (did-you-mean, schema descriptions); this is the
 * plain rendering every other boundary uses (bus messages, LLM requests, world files, checkpoints).
 */
export function issuesFromZod(error: z.ZodError, input: unknown, pathPrefix = "", unknownKeyHint?: string): Issue[] {
  return error.issues.flatMap((issue): Issue[] => {
    if (issue.code === "unrecognized_keys") {
      // One issue per unknown key, at the key's own path: a typo is fixed where it stands.
      return issue.keys.map((key) => ({
        path: formatPath(pathPrefix, [...issue.path, key]),
        expected: unknownKeyHint ?? "no such field",
        found: describeFound(input, [...issue.path, key]),
      }));
    }
    return [{ path: formatPath(pathPrefix, issue.path), expected: describeExpected(issue), found: describeFound(input, issue.path) }];
  });
}

function describeExpected(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.expected === "int" ? "an integer" : `a ${issue.expected}`;
    case "too_small":
      if (issue.origin === "string" && Number(issue.minimum) === 1) return "a non-empty string";
      return `${issue.origin} ${issue.inclusive ? ">=" : ">"} ${String(issue.minimum)}`;
    case "too_big":
      return `${issue.origin} ${issue.inclusive ? "<=" : "<"} ${String(issue.maximum)}`;
    case "invalid_value":
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_union":
      return "one of the documented shapes for this field";
    default:
      return issue.message;
  }
}

function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `${out === "" ? "" : "."}${String(p)}`;
  return out === "" ? "(root)" : out;
}

function describeFound(root: unknown, path: readonly PropertyKey[]): string {
  let v: unknown = root;
  for (const p of path) v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  if (v === undefined) return "nothing";
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

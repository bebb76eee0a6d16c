/**
 * Turns zod's issues into maspo's at every boundary — spec files, bus messages, LLM requests, world
 * files, checkpoints: a path, what was expected and what was found, in words a spec author
 * understands, and never the value under a secret-looking key. Unknown keys become one issue each,
 * with a did-you-mean against the keys that object allows; a union that failed is reported through
 * the branch the author evidently meant.
 */
import type { z } from "zod";
import type { Issue } from "./errors.js";
import { didYouMean } from "./did-you-mean.js";
import { type PathSegment, describeFound, describeValue, formatPath, isSecretLookingKey } from "./issue-path.js";

type ZodIssue = z.core.$ZodIssue;

/** What the error map hands over to the conversion below, through the issue's message. */
interface Handover {
  /** The keys an object allows, for an unknown key. */
  allowed?: string[];
  /** The schema's description, for a missing field. */
  description?: string;
}

/**
 * zod reports an unknown key without the keys that were allowed, and a missing field without the
 * field's description; its error map still sees the schema, so it hands them over in the message.
 */
export const zodErrorMap: z.core.$ZodErrorMap = (issue) => {
  const handover: Handover = {};
  if (issue.code === "unrecognized_keys") {
    const def: unknown = issue.inst?._zod.def;
    const shape = def !== null && typeof def === "object" && "shape" in def ? def.shape : undefined;
    if (shape !== null && typeof shape === "object") handover.allowed = Object.keys(shape);
  } else if (issue.code === "invalid_type" && issue.input === undefined) {
    const inst: unknown = issue.inst;
    const description = inst !== null && typeof inst === "object" && "description" in inst ? inst.description : undefined;
    if (typeof description === "string") handover.description = description;
  }
  return Object.keys(handover).length > 0 ? JSON.stringify({ maspo: handover }) : undefined;
};

function handoverOf(message: string): Handover {
  if (!message.startsWith('{"maspo":')) return {};
  try {
    const parsed = JSON.parse(message) as { maspo: Handover };
    return parsed.maspo;
  } catch {
    return {};
  }
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "an object",
  record: "a mapping of ids to entries",
  array: "a list",
  null: "null",
};

function typeWords(expected: string): string {
  return TYPE_WORDS[expected] ?? expected;
}

function quoteAll(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(", ");
}

function bound(origin: string, kind: "min" | "max", value: number | bigint, inclusive: boolean): string {
  const n = Number(value);
  if (origin === "string")
    return kind === "min" && n === 1 ? "a non-empty string" : `a string of ${kind === "min" ? "at least" : "at most"} ${n} characters`;
  if (origin === "array")
    return kind === "min" && n === 1 ? "a non-empty list" : `a list of ${kind === "min" ? "at least" : "at most"} ${n} items`;
  const op = kind === "min" ? (inclusive ? "≥" : ">") : inclusive ? "≤" : "<";
  return `${origin === "int" ? "an integer" : "a number"} ${op} ${n}`;
}

function withPrefix(prefix: readonly PathSegment[], issue: ZodIssue): PathSegment[] {
  return [...prefix, ...issue.path.map((p) => (typeof p === "number" ? p : String(p)))];
}

/** How a parse that did not ask zod to report inputs is rendered: from its input, and what an unknown key breaks. */
export interface RenderOptions {
  /** The parsed input: what was found is read from it at each issue's path (zod's `reportInput` not set). */
  root?: unknown;
  /** Expected, for an unknown key when the allowed keys are not known (no `zodErrorMap` at parse time). */
  unknownKey?: string;
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let v: unknown = root;
  for (const p of path) v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

function fromUnknownKeys(path: PathSegment[], keys: readonly string[], message: string, options: RenderOptions): Issue[] {
  const allowed = handoverOf(message).allowed ?? [];
  return keys.map((key): Issue => {
    const at = formatPath([...path, key]);
    if (isSecretLookingKey(key) && key !== "apiKeyEnv") {
      return {
        path: at,
        expected: "no secret in the spec: name the environment variable that holds it with apiKeyEnv",
        found: `the field "${key}" (its value is not shown)`,
        hint: "e.g. apiKeyEnv: OPENAI_API_KEY, with the key exported in that variable",
      };
    }
    const hint = didYouMean(key, allowed);
    const issue: Issue = {
      path: at,
      expected: allowed.length > 0 ? `one of the known keys: ${allowed.join(", ")}` : (options.unknownKey ?? "no such key"),
      found: `unknown key "${key}"`,
    };
    if (hint) issue.hint = hint;
    return issue;
  });
}

/** The branch of a failed union the author most likely meant: its type matched, and it has the fewest problems. */
function likelyBranch(branches: readonly (readonly ZodIssue[])[]): readonly ZodIssue[] | undefined {
  const typeMatched = branches.filter(
    (issues) => !issues.some((i) => i.path.length === 0 && (i.code === "invalid_type" || i.code === "invalid_value")),
  );
  let best: readonly ZodIssue[] | undefined;
  let bestCount = Number.POSITIVE_INFINITY;
  for (const issues of typeMatched) {
    const count = issues.reduce((n, i) => n + (i.code === "unrecognized_keys" ? i.keys.length : 1), 0);
    if (count < bestCount) {
      best = issues;
      bestCount = count;
    }
  }
  return best;
}

function branchShape(issues: readonly ZodIssue[]): string {
  const root = issues.find((i) => i.path.length === 0);
  if (root?.code === "invalid_type") return typeWords(root.expected);
  if (root?.code === "invalid_value") return `one of ${quoteAll(root.values)}`;
  return "another shape";
}

function convert(issue: ZodIssue, prefix: readonly PathSegment[], options: RenderOptions): Issue[] {
  const path = withPrefix(prefix, issue);
  const at = formatPath(path);
  const input: unknown = issue.input !== undefined || !("root" in options) ? issue.input : valueAt(options.root, path);
  const found = describeFound(input, path);
  switch (issue.code) {
    case "unrecognized_keys":
      return fromUnknownKeys(path, issue.keys, issue.message, options);
    case "invalid_type": {
      if (input === undefined) {
        const description = handoverOf(issue.message).description;
        const expected = `${typeWords(issue.expected)} (required${description ? `; ${description.replace(/\.$/, "")}` : ""})`;
        return [{ path: at, expected, found }];
      }
      return [{ path: at, expected: typeWords(issue.expected), found }];
    }
    case "too_small":
      return [{ path: at, expected: bound(issue.origin, "min", issue.minimum, issue.inclusive ?? true), found }];
    case "too_big":
      return [{ path: at, expected: bound(issue.origin, "max", issue.maximum, issue.inclusive ?? true), found }];
    case "invalid_value":
      return [{ path: at, expected: issue.values.length === 1 ? quoteAll(issue.values) : `one of ${quoteAll(issue.values)}`, found }];
    case "invalid_format":
      return [{ path: at, expected: issue.format === "regex" ? issue.message : `a valid ${issue.format}`, found }];
    case "invalid_union": {
      if (issue.discriminator !== undefined) {
        const value = input !== null && typeof input === "object" ? (input as Record<string, unknown>)[issue.discriminator] : input;
        const options = "options" in issue && issue.options ? issue.options : [];
        return [{ path: at, expected: `one of ${quoteAll(options)}`, found: describeValue(value) }];
      }
      const branch = likelyBranch(issue.errors);
      if (branch) return branch.flatMap((i) => convert(i, path, options));
      const shapes = [...new Set(issue.errors.map(branchShape))];
      const expected = shapes.length > 0 ? shapes.join(" or ") : "exactly one of the allowed shapes";
      return [{ path: at, expected: input === undefined ? `${expected} (required)` : expected, found }];
    }
    case "invalid_key": {
      const inner = issue.issues[0];
      const expected = inner?.code === "invalid_format" && inner.format === "regex" ? inner.message : "a valid key";
      return [{ path: at, expected, found: `the key ${describeValue(input)}` }];
    }
    case "invalid_element":
      return issue.issues.flatMap((i) => convert(i, path, options));
    case "not_multiple_of":
      return [{ path: at, expected: `a multiple of ${issue.divisor}`, found }];
    case "custom":
      return [{ path: at, expected: issue.message, found }];
  }
}

/**
 * zod issues as maspo issues, under an optional path prefix. A spec parse passes `reportInput` and
 * `zodErrorMap` to zod (found values, allowed keys, descriptions); other boundaries use
 * `issuesFromZod`, which passes their input as `options.root` instead.
 */
export function zodIssuesToIssues(issues: readonly ZodIssue[], prefix: readonly PathSegment[] = [], options: RenderOptions = {}): Issue[] {
  return issues.flatMap((i) => convert(i, prefix, options));
}

/**
 * For a parse that did not ask zod to report inputs: what was found is read from `input` itself.
 * `unknownKeyHint`: what to say an unknown key should be (default "no such key").
 */
export function issuesFromZod(error: z.ZodError, input: unknown, unknownKeyHint?: string): Issue[] {
  return zodIssuesToIssues(error.issues, [], { root: input, ...(unknownKeyHint !== undefined ? { unknownKey: unknownKeyHint } : {}) });
}

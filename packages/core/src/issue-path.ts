/**
 * How an input problem is located and what it says it found: paths like `graph.agents[1].predecessors[0]`
 * and short descriptions of values. Values under secret-looking keys are never echoed, so an error
 * message cannot leak a key that was pasted in the wrong place.
 */

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

export function formatPath(segments: readonly PathSegment[]): string {
  if (segments.length === 0) return "(root)";
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (PLAIN_KEY.test(s)) out += out === "" ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** The inverse of `formatPath`, or undefined for a path it did not write (e.g. `file.jsonl:3`). */
export function parsePath(path: string): PathSegment[] | undefined {
  if (path === "(root)") return [];
  const segments: PathSegment[] = [];
  const token = /(?:^|\.)([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  let pos = 0;
  while (pos < path.length) {
    token.lastIndex = pos;
    const m = token.exec(path);
    if (!m) return undefined;
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else if (m[3] !== undefined) segments.push(JSON.parse(m[3]) as string);
    pos = token.lastIndex;
  }
  return segments;
}

const SECRET_KEY = /^(api[-_]?key(env)?|apikey|secret\w*|password|passwd|token|access[-_]?token|bearer|auth\w*|credentials?)$/i;

/** Keys whose values may be secrets (the key itself pasted where its env var name belongs). */
export function isSecretLookingKey(key: PathSegment | undefined): boolean {
  return typeof key === "string" && SECRET_KEY.test(key);
}

const MAX_SHOWN = 60;

/** What was found, in a few words: `"abc"`, `42`, `a list of 3 items`, `an object with keys a, b`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing (the field is missing)";
  if (value === null) return "null";
  if (typeof value === "string") {
    const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
    return value.trim() === "" ? "an empty string" : JSON.stringify(shown);
  }
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : `a list of ${value.length} item${value.length === 1 ? "" : "s"}`;
  if (typeof value === "object") {
    const keys = Object.keys(value);
    return keys.length === 0 ? "an empty object" : `an object with keys ${keys.slice(0, 8).join(", ")}${keys.length > 8 ? ", …" : ""}`;
  }
  return typeof value;
}

/** `describeValue`, unless the value sits under a secret-looking key. */
export function describeFound(value: unknown, path: readonly PathSegment[]): string {
  if (value !== undefined && isSecretLookingKey(path[path.length - 1])) return "a value (not shown: it may be a secret)";
  return describeValue(value);
}

/**
 * Overrides of a spec by path — `maspo run --set search.beamSize=8`, and every point of a sweep's
 * grid. They are applied to the document as written, before validation, so an override is checked
 * (and defaulted) exactly like the same value written in the file, and a run's spec hash names the
 * overridden spec. Every bad override is reported at once, each naming its path.
 */
import { parse } from "yaml";
import { type Issue, ValidationError } from "../errors.js";
import { type PathSegment, describeValue, formatPath, parsePath } from "../issue-path.js";

export interface SpecOverride {
  /** Where, as in error messages: `search.beamSize`, `graph.agents[2].model`, `models.gpt.concurrency`. */
  path: string;
  value: unknown;
}

/**
 * `path=value` from the command line; the value is read as YAML (so `8` is a number, `[a, b]` a list,
 * `{local: 0.4, ...}` an object, and a bare word a string). Text that YAML would read as a block
 * mapping only because it holds ": " (`search.reason=one round: every test fails`) is the string it
 * says: on one command-line argument an object is written in braces.
 */
export function parseOverride(text: string): SpecOverride {
  const eq = text.indexOf("=");
  if (eq <= 0) {
    throw new ValidationError("--set", [
      { path: "(argument)", expected: "path=value, e.g. search.beamSize=8", found: describeValue(text) },
    ]);
  }
  const path = text.slice(0, eq).trim();
  const source = text.slice(eq + 1);
  let value: unknown;
  try {
    value = source.trim() === "" ? "" : (parse(source) as unknown);
    if (isPlainObject(value) && !source.trim().startsWith("{")) value = source.trim();
  } catch (err) {
    throw new ValidationError("--set", [
      { path, expected: "a YAML value", found: `${describeValue(source)} (${(err as Error).message.split("\n")[0] ?? ""})` },
    ]);
  }
  return { path, value };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The document with every override applied (the input is not changed). Throws with every bad path at once. */
export function applyOverrides(raw: unknown, overrides: readonly SpecOverride[], source = "spec overrides"): unknown {
  const { doc, issues } = overrideDocument(raw, overrides);
  if (issues.length > 0) throw new ValidationError(source, issues);
  return doc;
}

/** The document with every applicable override applied, and an issue for each that could not be. */
export function overrideDocument(raw: unknown, overrides: readonly SpecOverride[]): { doc: unknown; issues: Issue[] } {
  const doc: unknown = structuredClone(raw);
  const issues: Issue[] = [];
  let root = doc;
  for (const o of overrides) {
    const segments = parsePath(o.path);
    if (segments === undefined || segments.length === 0) {
      issues.push({
        path: o.path,
        expected: "a field path such as search.beamSize or graph.agents[1].model",
        found: describeValue(o.path),
      });
      continue;
    }
    const problem = setIn(root, segments, o.value);
    if (typeof problem === "string") issues.push({ path: o.path, expected: "a path into the spec's objects and lists", found: problem });
    else root = problem.root;
  }
  return { doc: root, issues };
}

type Container = Record<string, unknown> | unknown[];

function isContainer(v: unknown): v is Container {
  return typeof v === "object" && v !== null;
}

/** Sets the value at `segments`, creating objects for missing keys; a string says why it cannot. */
function setIn(root: unknown, segments: readonly PathSegment[], value: unknown): { root: unknown } | string {
  const top = isContainer(root) ? root : {};
  let node: Container = top;
  for (let i = 0; i < segments.length; i++) {
    const key = segments[i] as PathSegment;
    const last = i === segments.length - 1;
    if (Array.isArray(node)) {
      if (typeof key !== "number") return `a list at ${formatPath(segments.slice(0, i))}, indexed by "${key}"`;
      if (key > node.length || (key === node.length && !last)) {
        return `${formatPath(segments.slice(0, i))} has ${node.length} item${node.length === 1 ? "" : "s"}; no index ${key}`;
      }
    } else if (typeof key === "number") {
      return `an object at ${formatPath(segments.slice(0, i))}, indexed by [${key}]`;
    }
    const holder = node as Record<PathSegment, unknown>;
    if (last) {
      holder[key] = value;
      break;
    }
    const next = holder[key];
    if (next === undefined || next === null) holder[key] = typeof segments[i + 1] === "number" ? [] : {};
    else if (!isContainer(next)) return `${describeValue(next)} at ${formatPath(segments.slice(0, i + 1))}, which has no fields`;
    node = holder[key] as Container;
  }
  return { root: top };
}

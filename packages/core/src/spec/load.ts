/**
 * Reading a spec file (YAML or JSON; JSON is read as the YAML it also is, so both get line numbers)
 * and validating it. Syntax errors become issues with line and column; other issues get the line
 * of the value they point at, so an editor can jump there.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { LineCounter, isNode, parseDocument } from "yaml";
import { type Issue, ValidationError } from "../errors.js";
import { parsePath } from "../issue-path.js";
import type { RunSpec } from "./schema.js";
import { type SpecOverride, overrideDocument } from "./overrides.js";
import { type ValidateOptions, validateSpec } from "./validate.js";

export interface ReadSpec {
  /** The document as plain data. */
  raw: unknown;
  /** `line N` for an issue path, where the document has a node at (or above) that path. */
  lineOf(path: string): number | undefined;
}

/** Parse spec text; throws ValidationError with every syntax error, each with its line and column. */
export function parseSpecText(text: string, source: string): ReadSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ValidationError(
      source,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const message = (e.message.split("\n")[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, "");
        return {
          path: pos ? `line ${pos.line}, column ${pos.col}` : "(document)",
          expected: source.endsWith(".json") ? "valid JSON" : "valid YAML",
          found: message,
        };
      }),
    );
  }
  const lineOf = (path: string): number | undefined => {
    const segments = parsePath(path);
    if (segments === undefined) return undefined;
    for (let n = segments.length; n >= 0; n--) {
      const node: unknown = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const raw: unknown = doc.contents === null ? null : doc.toJS();
  return { raw, lineOf };
}

function withLine(issue: Issue, line: number | undefined): Issue {
  if (line === undefined) return issue;
  return { ...issue, hint: issue.hint ? `${issue.hint}; line ${line}` : `line ${line}` };
}

/**
 * Load and validate a spec file. Dataset and world paths are resolved against the file's directory.
 * Throws ValidationError carrying every problem found.
 */
export interface LoadSpecOptions extends Omit<ValidateOptions, "baseDir"> {
  /** Applied to the document before validation (`--set`, `--seed`, a sweep's grid point). */
  overrides?: readonly SpecOverride[];
}

export async function loadSpecFile(file: string, options: LoadSpecOptions = {}): Promise<RunSpec> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ValidationError(file, [
      {
        path: "(file)",
        expected: "a readable run spec file (YAML or JSON)",
        found: code === "ENOENT" ? `no file at ${path}` : `${code ?? "an error"}: ${(error as Error).message}`,
      },
    ]);
  }
  const read = parseSpecText(text, file);
  if (read.raw === null || read.raw === undefined) {
    throw new ValidationError(file, [
      { path: "(root)", expected: "a run spec (a mapping with task, models, graph, prompts, …)", found: "an empty document" },
    ]);
  }
  const { overrides = [], ...validateOptions } = options;
  // Overrides that cannot apply are reported with whatever the validation of the rest finds.
  const { doc, issues: overrideIssues } = overrideDocument(read.raw, overrides);
  const result = await validateSpec(doc, { ...validateOptions, baseDir: dirname(path) });
  if (!result.ok || overrideIssues.length > 0)
    throw new ValidationError(
      file,
      [...overrideIssues, ...(result.ok ? [] : result.issues)].map((i) => {
        if (overrideIssues.includes(i)) return i;
        // A problem in an overridden value is the override's, not the file's line.
        const by = overrides.find((o) => i.path === o.path || i.path.startsWith(`${o.path}.`) || i.path.startsWith(`${o.path}[`));
        return by
          ? { ...i, hint: i.hint ? `${i.hint}; set by override ${by.path}` : `set by override ${by.path}` }
          : withLine(i, read.lineOf(i.path));
      }),
    );
  return result.spec;
}

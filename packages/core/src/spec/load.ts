/**
 * Reading a spec file (YAML or JSON, parsed within bounds by spec-text.ts) and validating it. Syntax
 * errors become issues with line and column; other issues get the line of the value they point at,
 * so an editor can jump there.
 */
import { readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { type Issue, ValidationError } from "../errors.js";
import type { RunSpec } from "./schema.js";
import { type SpecOverride, overrideDocument } from "./overrides.js";
import { parseSpecText, sizeIssue } from "./spec-text.js";
import { type ValidateOptions, validateSpec } from "./validate.js";

export { MAX_SPEC_BYTES, parseSpecText, type ReadSpec } from "./spec-text.js";

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
    // Refused before it is read: a spec file of gigabytes is a mistake, not a run.
    const tooLarge = sizeIssue((await stat(path)).size);
    if (tooLarge) throw new ValidationError(file, [tooLarge]);
    text = await readFile(path, "utf8");
  } catch (error) {
    if (error instanceof ValidationError) throw error;
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

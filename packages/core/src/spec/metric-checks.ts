/**
 * Checks that the final metric can run before anything starts: a `module` metric's file exists, is
 * an ES module that loads, and exports a function under the name the spec gives; a `code_tests`
 * metric's interpreter is on PATH (python3) — node is the one running maspo.
 */
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, extname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Issue } from "../errors.js";
import type { ModuleMetric } from "./schema.js";
import type { SpecSketch } from "./spec-sketch.js";

/** The extensions Node loads as ES modules without a loader. */
const MODULE_EXTENSIONS = [".js", ".mjs"];

/**
 * The function a module metric names, or a reason it cannot be had. Loading runs the module's
 * top-level code (as importing any module does).
 */
export async function loadMetricFunction(
  metric: Pick<ModuleMetric, "path" | "export">,
  baseDir = process.cwd(),
): Promise<{ fn: (...args: never[]) => unknown } | { problem: Pick<Issue, "path" | "expected" | "found" | "hint"> }> {
  const file = isAbsolute(metric.path) ? metric.path : resolve(baseDir, metric.path);
  const expected = "an ES module (.js or .mjs, relative to the spec file) exporting the metric function (output, example) => number";
  if (!existsSync(file)) return { problem: { path: "task.metric.path", expected, found: `no file at ${file}` } };
  if (!MODULE_EXTENSIONS.includes(extname(file))) {
    return {
      problem: {
        path: "task.metric.path",
        expected,
        found: `${file}, a ${extname(file) || "extension-less"} file`,
        hint:
          extname(file) === ".ts"
            ? "compile it to JavaScript first (tsc), and point path at the .js file"
            : "rename it to .mjs (or .js in a package of type module)",
      },
    };
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    return {
      problem: { path: "task.metric.path", expected: "a module that loads", found: `${file} failed to load: ${(error as Error).message}` },
    };
  }
  const fn = mod[metric.export];
  if (typeof fn !== "function") {
    const exported = Object.keys(mod).filter((k) => typeof mod[k] === "function");
    return {
      problem: {
        path: "task.metric.export",
        expected: `a function exported as "${metric.export}" by ${file}`,
        found: fn === undefined ? "no such export" : `an export of type ${typeof fn}`,
        ...(exported.length > 0 ? { hint: `its exported functions: ${exported.join(", ")}` } : {}),
      },
    };
  }
  return { fn: fn as (...args: never[]) => unknown };
}

/** Whether an executable of this name is on PATH (looked up on the file system; nothing is run). */
export function onPath(command: string, path = process.env["PATH"] ?? ""): boolean {
  return path
    .split(delimiter)
    .filter((dir) => dir !== "")
    .some((dir) => {
      try {
        accessSync(join(dir, command), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

export async function checkMetric(sketch: SpecSketch, baseDir: string): Promise<Issue[]> {
  const metric = sketch.metric;
  if (metric?.kind === "module") {
    const loaded = await loadMetricFunction(metric, baseDir);
    return "problem" in loaded ? [loaded.problem] : [];
  }
  if (metric?.kind === "code_tests" && metric.language === "python" && !onPath("python3")) {
    return [
      {
        path: "task.metric.language",
        expected: "python3 on PATH: the code_tests metric runs each example's tests with it",
        found: "no python3 executable on PATH",
        hint: "install Python 3 (apt-get install python3), or use language: javascript",
      },
    ];
  }
  return [];
}

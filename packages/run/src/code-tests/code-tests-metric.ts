/**
 * The `code_tests` final metric: the code in the system's final output (core's `extractCode`: the
 * first fenced block of the language, else the whole text) run against the example's unit tests in
 * the sandbox; the score is the share of its tests that pass. An example without tests is not
 * scored (validation requires them on held-out). A sandbox that cannot run is an error of the run
 * naming the example, never a 0.
 *
 * Outcomes are remembered per (language, code, tests, setup, limits) within the process: the loop
 * scores the same final output many times (every evaluation re-runs the graph), and each
 * identical run would only repeat the last.
 */
import { createHash } from "node:crypto";
import { type CodeTestsMetric, type Example, extractCode } from "@maspo/core";
import { type SandboxOptions, type SandboxResult, SandboxError, runTestsInSandbox } from "./sandbox.js";

/** The tests an example carries in a field: a list of snippets, or one program (a JSON list in a string is read as a list). */
export function testsOf(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.every((t) => typeof t === "string") && value.length > 0 ? value : undefined;
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const text = value.trim();
  if (text.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((t) => typeof t === "string")) return parsed;
    } catch {
      // Not JSON: one test program that happens to start with "[".
    }
  }
  return [value];
}

const MEMO_LIMIT = 4096;

export interface CodeTestsScorerOptions extends SandboxOptions {
  /** Called with each sandbox run (not the remembered ones), for tests and diagnostics. */
  onRun?: (example: Example, result: SandboxResult) => void;
}

/** The scorer of a `code_tests` metric: (final output, example) → pass rate in [0, 1], or undefined without tests. */
export function codeTestsScorer(
  metric: CodeTestsMetric,
  options: CodeTestsScorerOptions = {},
): (output: string, example: Example) => Promise<number | undefined> {
  const memo = new Map<string, Promise<SandboxResult>>();
  return async (output, example) => {
    const tests = testsOf(example.fields?.[metric.tests]);
    if (!tests) return undefined;
    const setupValue = metric.setup === undefined ? undefined : example.fields?.[metric.setup];
    const setup = typeof setupValue === "string" && setupValue.trim() !== "" ? setupValue : undefined;
    const code = extractCode(output, metric.language);
    const request = {
      language: metric.language,
      code,
      tests,
      ...(setup ? { setup } : {}),
      timeoutMs: metric.timeoutMs,
      memoryMb: metric.memoryMb,
    };
    const key = createHash("sha256").update(JSON.stringify(request)).digest("hex");
    let pending = memo.get(key);
    if (!pending) {
      pending = runTestsInSandbox(request, options).then((result) => {
        options.onRun?.(example, result);
        return result;
      });
      memo.set(key, pending);
      if (memo.size > MEMO_LIMIT) memo.delete(memo.keys().next().value as string);
      // A failed sandbox is not remembered: the next scoring tries again.
      pending.catch(() => memo.delete(key));
    }
    let result: SandboxResult;
    try {
      result = await pending;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new SandboxError(`code_tests metric on example "${example.id}": ${message}`, { cause: error });
    }
    return result.passed / tests.length;
  };
}

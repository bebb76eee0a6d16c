/**
 * The final success metric on one output: a pure function from (metric, final output, label) to a
 * score in [0, 1]. The "world" metric belongs to the simlm world and "judge" to the evaluator, so
 * only the label metrics are scored here.
 */
import type { Example } from "../protocol/trace.js";
import { choiceOf } from "./multiple-choice.js";
import type { FinalMetric, LabelMetric } from "./schema.js";

/**
 * Your own final metric (`task.metric: { kind: module, path, export }`): the system's final output
 * and its example (id, input, label, and every other field of its record as `example.fields`) to a
 * score in [0, 1]. A throw, or anything but a finite number in [0, 1], is an error of the run that
 * names the example, never a silent 0.
 *
 * ```js
 * // metrics/answer.js beside the spec; in JS, type it with a JSDoc `@type {import("@maspo/core").MetricFunction}`
 * export default function score(output, example) {
 *   return output.trim().endsWith(String(example.fields?.answer)) ? 1 : 0;
 * }
 * ```
 */
export type MetricFunction = (output: string, example: Example) => number | Promise<number>;

/** The kinds scored against the example's label, each by `scoreFinalOutput`. */
const LABEL_METRIC_KINDS: ReadonlySet<FinalMetric["kind"]> = new Set(["exact_match", "numeric", "contains", "multiple_choice"]);

export function isLabelMetric(metric: FinalMetric): metric is LabelMetric {
  return LABEL_METRIC_KINDS.has(metric.kind);
}

/** The part of a text the metric compares: the extract's first capture group (or whole match), else the text. */
function extracted(pattern: string | undefined, text: string, flags = ""): string | undefined {
  if (pattern === undefined) return text;
  const match = new RegExp(pattern, flags).exec(text);
  if (!match) return undefined;
  return match[1] ?? match[0];
}

function normalizeText(text: string, caseSensitive: boolean): string {
  const collapsed = text.replace(/\s+/g, " ").trim();
  return caseSensitive ? collapsed : collapsed.toLowerCase();
}

const NUMBER = /[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+]?\d+)?/g;

/** Every number in a text, thousands separators allowed ("1,234.5"), as values. */
function numbersIn(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(NUMBER)) {
    const token = m[0];
    if (!/\d/.test(token)) continue;
    const value = Number(token.replace(/,/g, ""));
    if (Number.isFinite(value)) out.push(value);
  }
  return out;
}

function scoreExact(metric: Extract<LabelMetric, { kind: "exact_match" }>, output: string, label: string): number {
  const flags = metric.caseSensitive ? "" : "i";
  const got = extracted(metric.extract, output, flags);
  if (got === undefined) return 0;
  // A label written in the answer's own format ("Answer: 42") is compared by the same extract.
  const want = extracted(metric.extract, label, flags) ?? label;
  return normalizeText(got, metric.caseSensitive) === normalizeText(want, metric.caseSensitive) ? 1 : 0;
}

function scoreNumeric(metric: Extract<LabelMetric, { kind: "numeric" }>, output: string, label: string): number {
  const got = extracted(metric.extract, output);
  if (got === undefined) return 0;
  // Without an extract, the last number in the output is the answer (working comes first).
  const value = metric.extract === undefined ? numbersIn(got).at(-1) : numbersIn(got)[0];
  const wantText = extracted(metric.extract, label) ?? label;
  const want = numbersIn(wantText)[0];
  if (value === undefined || want === undefined) return 0;
  return Math.abs(value - want) <= metric.tolerance * Math.max(1, Math.abs(want)) ? 1 : 0;
}

/** 1 when the final output is right by the metric, else 0 (label metrics are all-or-nothing). */
export function scoreFinalOutput(metric: LabelMetric, output: string, label: string): number {
  switch (metric.kind) {
    case "exact_match":
      return scoreExact(metric, output, label);
    case "numeric":
      return scoreNumeric(metric, output, label);
    case "contains":
      return normalizeText(output, false).includes(normalizeText(label, false)) ? 1 : 0;
    case "multiple_choice": {
      const got = choiceOf(output, metric.choices);
      return got !== undefined && got === choiceOf(label, metric.choices) ? 1 : 0;
    }
  }
}

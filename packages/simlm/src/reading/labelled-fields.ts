/**
 * Reading a message written as labelled fields rather than maspo's headed sections: DSPy's
 * `[[ ## field ## ]]` markers, `Field: value` lines (Ax, and most hand-written layouts, the value on
 * the same line and continued on the lines below), and markdown or bold headings mixed in. A line
 * that begins with one of the world's output markers (`Steps:`, `Answer:` …) is the content of an
 * output being handed on, never a label: an upstream agent's output keeps its own lines.
 */
import { headingOf, type Section } from "./message-sections.js";
import { normalize } from "./phrase-match.js";

export interface FieldReadingOptions {
  /** Field names a framework's boilerplate declared (normalised); when given, only they label a line. */
  declared: readonly string[];
  /** Line starts that are content (the world's output markers). */
  contentMarkers: readonly string[];
}

const DSPY_MARKER = /^\s*\[\[\s*##\s*(.+?)\s*##\s*\]\]\s*$/;
const LABEL_LINE = /^([A-Za-z][A-Za-z0-9 _()'’-]{0,40}):(?:[ \t]+(.*))?$/;
/** Without declared fields, a label is a short name: at most this many words. */
const MAX_LABEL_WORDS = 4;
/** DSPy's closing request, which is about the reply's format, not a field. */
const DSPY_TRAILER = /^\s*Respond with the corresponding output fields\b/i;

function labelOf(line: string, options: FieldReadingOptions): { label: string; rest: string } | undefined {
  const marker = DSPY_MARKER.exec(line)?.[1];
  if (marker !== undefined) return { label: marker, rest: "" };
  if (options.contentMarkers.some((m) => m.length > 0 && line.startsWith(m))) return undefined;
  const heading = headingOf(line);
  if (heading !== undefined) return { label: heading, rest: "" };
  const m = LABEL_LINE.exec(line);
  if (!m?.[1]) return undefined;
  const key = normalize(m[1]);
  if (key.length === 0) return undefined;
  const known = options.declared.length > 0 ? options.declared.includes(key) : key.split(" ").length <= MAX_LABEL_WORDS;
  return known ? { label: m[1].trim(), rest: m[2] ?? "" } : undefined;
}

/** The labelled fields of a text, in order; text before the first label is not a field. */
export function readLabelledFields(text: string, options: FieldReadingOptions): Section[] {
  const fields: Section[] = [];
  let current: { label: string; lines: string[] } | undefined;
  let inFence = false;
  const close = () => {
    if (current) fields.push({ heading: current.label, key: normalize(current.label), body: current.lines.join("\n").trim() });
  };
  for (const line of text.split("\n")) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    const found = inFence ? undefined : labelOf(line, options);
    if (found && normalize(found.label) === "completed") break;
    if (!inFence && DSPY_TRAILER.test(line)) break;
    if (found) {
      close();
      current = { label: found.label, lines: found.rest.length > 0 ? [found.rest] : [] };
      // A value that opens a code fence on the label's own line (`Coder output: ```python`).
      if (/^\s*```/.test(found.rest)) inFence = true;
      continue;
    }
    current?.lines.push(line);
  }
  close();
  return fields;
}

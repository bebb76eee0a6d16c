/**
 * Splitting a message into headed sections, loosely: markdown headings of any level, bold lines,
 * bracketed lines, and short "Heading:" lines that name a known kind of section. Code fences are
 * never split (a `# comment` in code is not a heading).
 */
import { normalize } from "./phrase-match.js";

export interface Section {
  /** The heading as written, without markup. */
  heading: string;
  /** The heading normalised (lower case, words only). */
  key: string;
  body: string;
}

export interface SplitMessage {
  preamble: string;
  sections: Section[];
}

const MARKDOWN = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/;
const BOLD = /^\s*\*\*(.+?)\*\*\s*:?\s*$/;
const BRACKETED = /^\s*\[([^\]]{1,60})\]\s*$/;
const COLON_LINE = /^\s*([A-Za-z][A-Za-z0-9 _()'’-]{0,50}):\s*$/;

/** Headings written as a bare "Name:" line are accepted only when they look like section names. */
const COLON_HEADING_KEYS =
  /^(task|question|problem|role instruction|current prompt|(response|answer|output|candidate|option) (a|b|1|2|one|two))$/;

/** The heading a line opens, without markup, or undefined when the line is not a heading. */
export function headingOf(line: string): string | undefined {
  const m = MARKDOWN.exec(line) ?? BOLD.exec(line) ?? BRACKETED.exec(line);
  if (m?.[1]) return m[1].trim();
  const c = COLON_LINE.exec(line);
  if (c?.[1] && COLON_HEADING_KEYS.test(normalize(c[1]))) return c[1].trim();
  return undefined;
}

export function splitSections(text: string): SplitMessage {
  const lines = text.split("\n");
  const sections: Section[] = [];
  const preamble: string[] = [];
  let current: { heading: string; lines: string[] } | undefined;
  let inFence = false;
  const close = () => {
    if (current) sections.push({ heading: current.heading, key: normalize(current.heading), body: current.lines.join("\n").trim() });
  };
  for (const line of lines) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    const heading = inFence ? undefined : headingOf(line);
    if (heading !== undefined) {
      close();
      current = { heading, lines: [] };
      continue;
    }
    (current ? current.lines : preamble).push(line);
  }
  close();
  return { preamble: preamble.join("\n").trim(), sections };
}

/** The task section of a message (a heading naming the task, question or problem). */
export function findTask(split: SplitMessage): Section | undefined {
  return split.sections.find((s) => /\b(task|question|problem)\b/.test(s.key) && !/\boutput\b/.test(s.key));
}

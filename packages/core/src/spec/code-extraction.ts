/**
 * Which part of a final output the `code_tests` metric runs, by one rule:
 *
 * 1. Fenced code blocks (``` or ~~~, three or more): the first whose info string names the metric's
 *    language (python: `python`, `py`, `python3`; javascript: `javascript`, `js`, `node`, `mjs`, `cjs`);
 *    else the first block without an info string; else the first block of any language. A fence left
 *    open (a truncated reply) runs to the end of the text.
 * 2. No fenced block at all: the whole output.
 *
 * So prose around one fenced block is ignored, a usage example in a later block is not run as the
 * solution, and an output that is nothing but code works as it is.
 */
import type { CodeLanguage } from "./schema.js";

const LANGUAGE_TAGS: Record<CodeLanguage, readonly string[]> = {
  python: ["python", "py", "python3"],
  javascript: ["javascript", "js", "node", "nodejs", "mjs", "cjs"],
};

interface FencedBlock {
  tag: string;
  body: string;
}

const OPENING = /^[ \t]*(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*$/;

function fencedBlocks(text: string): FencedBlock[] {
  const lines = text.split(/\r?\n/);
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPENING.exec(lines[i] ?? "");
    if (!open) continue;
    const fence = open[1] ?? "```";
    const closing = new RegExp(`^[ \\t]*${fence[0] === "`" ? "`" : "~"}{${fence.length},}[ \\t]*$`);
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !closing.test(lines[j] ?? "")) body.push(lines[j++] ?? "");
    blocks.push({ tag: (open[2] ?? "").toLowerCase(), body: body.join("\n") });
    i = j;
  }
  return blocks;
}

/** The code the `code_tests` metric runs from a final output (see the rule above). */
export function extractCode(output: string, language: CodeLanguage): string {
  const blocks = fencedBlocks(output);
  if (blocks.length === 0) return output.trim();
  const tags = LANGUAGE_TAGS[language];
  const chosen = blocks.find((b) => tags.includes(b.tag)) ?? blocks.find((b) => b.tag === "") ?? blocks[0];
  return chosen?.body ?? "";
}

/**
 * Editing a prompt by directive: add a directive as a sentence (into the Constraints list when there
 * is one), remove every sentence that carries a directive, or swap one paraphrase for another. The
 * simulated optimizer proposes prompts with these edits and the oracle writes its best prompts with them.
 */
import { sentenceCarries, sentenceSpans } from "../reading/phrase-match.js";
import type { Directive } from "../world/world-schema.js";

/** A trigger phrase as an imperative sentence. */
export function directiveSentence(directive: Directive, which = 0): string {
  const t = (directive.triggers[which % directive.triggers.length] ?? directive.triggers[0] ?? directive.summary).trim();
  const s = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

function tidy(prompt: string): string {
  const lines = prompt
    .split("\n")
    .map((l) => l.replace(/[ \t]{2,}/g, " ").trimEnd())
    .filter((l) => !/^\s*[-*]\s*$/.test(l));
  const kept = lines.filter((l, i) => {
    if (!/^\s*constraints\s*:\s*$/i.test(l)) return true;
    const next = lines.slice(i + 1).find((x) => x.trim().length > 0);
    return next !== undefined && /^\s*[-*]\s+/.test(next);
  });
  return kept
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

export function addSentence(prompt: string, sentence: string): string {
  const lines = prompt.trimEnd().split("\n");
  const heading = lines.findIndex((l) => /^\s*constraints\s*:\s*$/i.test(l));
  if (heading >= 0) {
    let at = heading + 1;
    while (at < lines.length && /^\s*[-*]\s+/.test(lines[at] ?? "")) at++;
    lines.splice(at, 0, `- ${sentence}`);
    return lines.join("\n");
  }
  return `${prompt.trimEnd()}\n\n${sentence}`;
}

export function addDirective(prompt: string, directive: Directive, which = 0): string {
  return addSentence(prompt, directiveSentence(directive, which));
}

function carries(text: string, directive: Directive): boolean {
  return directive.triggers.some((t) => sentenceCarries(text, t));
}

export function removeDirective(prompt: string, directive: Directive): string {
  let out = "";
  let last = 0;
  for (const span of sentenceSpans(prompt)) {
    if (!carries(span.text, directive)) continue;
    out += prompt.slice(last, span.start);
    // Keep the line break that ended the sentence, so the next line stays a line.
    if (span.text.endsWith("\n")) out += "\n";
    last = span.end;
  }
  return tidy(out + prompt.slice(last));
}

/** Replace the first sentence carrying the directive with another of its paraphrases. */
export function rephraseDirective(prompt: string, directive: Directive, which: number): string {
  const span = sentenceSpans(prompt).find((s) => carries(s.text, directive));
  if (!span) return prompt;
  const lead = /^\s*([-*]\s+)?/.exec(span.text)?.[0] ?? "";
  const tail = span.text.endsWith("\n") ? "\n" : " ";
  return tidy(prompt.slice(0, span.start) + lead + directiveSentence(directive, which) + tail + prompt.slice(span.end));
}

/**
 * Loose phrase matching, the way a model "understands" a prompt: case, punctuation and markup do not
 * matter, word endings are folded, and a sentence carries a phrase when it contains the phrase or
 * most of its content words. A negated sentence ("do not show your work") does not carry a positive
 * phrase. Shared by role recognition, directive detection and section headings.
 */

/** Lower case, apostrophes dropped, everything that is not a letter or digit turned into one space. */
export function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/['’`]/g, "")
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

const STOPWORDS = new Set([
  "a",
  "an",
  "the",
  "and",
  "or",
  "of",
  "to",
  "in",
  "on",
  "for",
  "with",
  "your",
  "you",
  "it",
  "its",
  "is",
  "are",
  "be",
  "as",
  "at",
  "by",
  "from",
  "that",
  "this",
  "then",
  "please",
  "so",
  "any",
  "each",
  "every",
  "all",
  "will",
  "can",
  "should",
  "must",
  "always",
  "into",
  "them",
  "their",
  "they",
  "we",
  "our",
  "i",
]);

const NEGATIONS = new Set(["not", "dont", "never", "avoid", "without", "no", "nor", "cannot", "doesnt", "isnt", "stop"]);

/** A crude stem: enough that "lists/listing/listed" and "step/steps" meet. */
export function stem(word: string): string {
  if (word.length > 5 && word.endsWith("ing")) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith("ed")) return word.slice(0, -2);
  if (word.length > 4 && word.endsWith("es")) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith("s") && !word.endsWith("ss")) return word.slice(0, -1);
  return word;
}

export function contentStems(text: string): string[] {
  return normalize(text)
    .split(" ")
    .filter((w) => w.length > 0 && !STOPWORDS.has(w))
    .map(stem);
}

function isNegated(normalized: string): boolean {
  return normalized.split(" ").some((w) => NEGATIONS.has(w));
}

/** The share of a phrase's content words a sentence must contain to carry it. */
const OVERLAP = 0.75;

/** Does this one sentence carry the phrase? */
export function sentenceCarries(sentence: string, phrase: string): boolean {
  const s = normalize(sentence);
  const p = normalize(phrase);
  if (p.length === 0 || s.length === 0) return false;
  if (isNegated(s) && !isNegated(p)) return false;
  if (` ${s} `.includes(` ${p} `)) return true;
  const want = contentStems(phrase);
  if (want.length < 2) return false;
  const have = new Set(contentStems(sentence));
  const hits = want.filter((w) => have.has(w)).length;
  return hits >= Math.ceil(want.length * OVERLAP);
}

/** A sentence of a text with its character span, so an edit can cut exactly that sentence. */
export interface SentenceSpan {
  start: number;
  end: number;
  text: string;
}

/**
 * Sentences split at . ! ? ; and line breaks. A period between digits or inside a backtick span is
 * not a sentence end, so `Answer: 3.5` or a code sample stays whole.
 */
export function sentenceSpans(text: string): SentenceSpan[] {
  const spans: SentenceSpan[] = [];
  let start = 0;
  let inTicks = false;
  const push = (end: number) => {
    const raw = text.slice(start, end);
    if (raw.trim().length > 0) spans.push({ start, end, text: raw });
    start = end;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "`") inTicks = !inTicks;
    if (c === "\n") {
      inTicks = false;
      push(i + 1);
      continue;
    }
    if (inTicks) continue;
    if (c === "." || c === "!" || c === "?" || c === ";") {
      const prev = text[i - 1] ?? "";
      const next = text[i + 1] ?? "";
      if (c === "." && /\d/.test(prev) && /\d/.test(next)) continue;
      push(i + 1);
    }
  }
  push(text.length);
  return spans;
}

/** Does any sentence of the text carry any of the phrases? */
export function textCarriesAny(text: string, phrases: readonly string[]): boolean {
  return sentenceSpans(text).some((s) => phrases.some((p) => sentenceCarries(s.text, p)));
}

/** Where the phrase first occurs in the normalised text (word-aligned), or -1. */
export function phrasePosition(normalizedText: string, phrase: string): number {
  const p = normalize(phrase);
  if (p.length === 0) return -1;
  const idx = ` ${normalizedText} `.indexOf(` ${p} `);
  return idx;
}

/**
 * The letter a multiple-choice answer picks (AQuA, GPQA: options A–E or A–D), read from free text by
 * three rules, the first that finds one deciding:
 *
 * 1. An explicit answer statement, the last in the text: "Answer: (C)", "the answer is C",
 *    "Final answer: **B**", "the correct option is (d)", "Option C is correct", "C is the right answer".
 *    The letter may be lower case only when it is bracketed or followed by punctuation or the end
 *    ("the answer is c."), so "the answer is a bit unclear" picks nothing.
 * 2. The last line that is only a letter, bracketed or marked up or not: "C", "(C)", "**C**", "C.".
 * 3. The last standalone capital letter of the choices — not part of a word or number, and not a
 *    word itself ("A train leaves…", "I think…": a capital followed by a lower-case word is skipped
 *    unless bracketed).
 *
 * Only letters among `choices` count; a text with none is no answer (scored 0). The label is read by
 * the same rules, so "C", "(C)" and "Answer: C" are all the label C.
 */

const LETTER_OPEN = String.raw`[(\[*_]*`;
const LETTER_CLOSE = String.raw`[)\]*_]*`;

/** An explicit statement; group 1 is the letter, group 2 what follows it. */
const STATEMENTS: readonly RegExp[] = [
  new RegExp(
    String.raw`\b(?:(?:final|correct|right|best)\s+)?(?:answer|option|choice)\b\s*(?:is|:|=|would\s+be|should\s+be|must\s+be)?\s*(?:option|choice|letter)?\s*[:\-]?\s*${LETTER_OPEN}([A-Za-z])${LETTER_CLOSE}(?![A-Za-z0-9])(.?)`,
    "gi",
  ),
  new RegExp(String.raw`(?<![A-Za-z0-9])${LETTER_OPEN}([A-Za-z])${LETTER_CLOSE}\s+is\s+(?:the\s+)?(?:correct|right|best)\b()`, "gi"),
];

const LETTER_LINE = new RegExp(String.raw`^\s*${LETTER_OPEN}([A-Z])${LETTER_CLOSE}\.?\s*$`, "gm");
const STANDALONE = /(?<![A-Za-z0-9])([([]?)([A-Z])([)\]]?)(?![A-Za-z0-9])/g;

function lastStatement(text: string, choices: string): string | undefined {
  let best: { index: number; letter: string } | undefined;
  for (const pattern of STATEMENTS) {
    for (const m of text.matchAll(pattern)) {
      const raw = m[1] ?? "";
      const letter = raw.toUpperCase();
      if (!choices.includes(letter)) continue;
      if (raw !== letter) {
        // A lower-case letter counts only bracketed or followed by punctuation or the end.
        const bracketed = /[([]\s*[a-z]/.test(m[0]);
        const after = m[2] ?? "";
        if (!bracketed && after !== "" && !/[.,;:!?)\]]/.test(after)) continue;
      }
      const index = (m.index ?? 0) + m[0].lastIndexOf(raw);
      if (!best || index > best.index) best = { index, letter };
    }
  }
  return best?.letter;
}

function lastLetterLine(text: string, choices: string): string | undefined {
  let found: string | undefined;
  for (const m of text.matchAll(LETTER_LINE)) if (choices.includes(m[1] ?? "")) found = m[1];
  return found;
}

function lastStandalone(text: string, choices: string): string | undefined {
  let found: string | undefined;
  for (const m of text.matchAll(STANDALONE)) {
    const letter = m[2] ?? "";
    if (!choices.includes(letter)) continue;
    const bracketed = m[1] !== "" || m[3] !== "";
    const rest = text.slice((m.index ?? 0) + m[0].length);
    if (!bracketed && /^\s+[a-z]/.test(rest)) continue;
    found = letter;
  }
  return found;
}

/** The option letter a text picks, or undefined when it picks none of `choices` (capital letters, e.g. "ABCDE"). */
export function choiceOf(text: string, choices: string): string | undefined {
  return lastStatement(text, choices) ?? lastLetterLine(text, choices) ?? lastStandalone(text, choices);
}

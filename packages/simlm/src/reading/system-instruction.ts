/**
 * The instruction in a system message: what the prompt's author wrote, told apart from the
 * boilerplate an agent framework wraps around it — DSPy's "Your input fields are: ..." block with its
 * `[[ ## field ## ]]` template and "In adhering to this structure, your objective is:", Ax's "You will
 * be provided with the following fields: ..." sentence with its Input Fields / Output Fields /
 * formatting-rules paragraphs — and from demos a framework appends after it. A model takes its role
 * and its directives from the instruction; the boilerplate says only which fields come in and go out.
 *
 * Only a framework's own wording counts as a cue. Without one the whole text is the instruction, as
 * it is for maspo's agent prompts, so they read exactly as they always have.
 */
import { normalize } from "./phrase-match.js";

export interface SystemReading {
  /** The text role and directives are read from: the whole system text unless boilerplate was found. */
  instruction: string;
  /** A framework's boilerplate was found and set aside. */
  boilerplate: boolean;
  /** The field names the boilerplate declares, normalised ("planner_output" → "planner output"). */
  fields: string[];
  /** Those of them it declares as inputs (where demos appended to the instruction begin). */
  inputFields: string[];
}

/** DSPy's line before the signature's instructions; everything after it is the instruction. */
const DSPY_OBJECTIVE = /In adhering to this structure, your objective is:[ \t]*/i;
/** DSPy's field lists, which open its boilerplate. */
const DSPY_FIELD_LISTS = /^[ \t]*Your (input|output) fields are:[ \t]*$/im;
/** Ax's opening sentence naming the fields. */
const AX_FIELDS_SENTENCE = /You will be provided with the following fields:([^\n]*?)(Your task is to generate new fields:[^\n]*)?(\n|$)/i;
/** Paragraphs of a framework's layout that say nothing about the role: heading plus its paragraph. */
const BOILERPLATE_HEADING =
  /^(input fields|output fields|strict output formatting rules|output formatting rules|formatting rules|function call instructions|available functions)$/;
/** Where a framework's demos begin: everything from such a heading on is demos, not instruction. */
const DEMO_HEADING = /^(examples?|demonstrations?|demos?|few shot examples?)$/;
const MARKDOWN_HEADING = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/;
const BACKTICKED = /`([^`\n]{1,60})`/g;
/** A declared field row in Ax's field paragraphs: `Title: (A string field) ...`. */
const AX_FIELD_ROW = /^\s*([^:\n]{1,60}):\s*\(/;

/** Does the text carry a framework's own boilerplate wording? */
function hasFrameworkCue(text: string): boolean {
  return DSPY_OBJECTIVE.test(text) || DSPY_FIELD_LISTS.test(text) || AX_FIELDS_SENTENCE.test(text);
}

function declaredNames(boilerplate: string): string[] {
  const names = new Set<string>();
  for (const m of boilerplate.matchAll(BACKTICKED)) {
    const name = normalize((m[1] ?? "").replace(/:$/, "").replace(/^\[\[\s*#+\s*|\s*#+\s*\]\]$/g, ""));
    if (name.length > 0) names.add(name);
  }
  for (const m of boilerplate.matchAll(/^\s*\[\[\s*##\s*(.+?)\s*##\s*\]\]\s*$/gm)) names.add(normalize(m[1] ?? ""));
  names.delete("completed");
  return [...names];
}

/** Cut Ax-style boilerplate paragraphs (a known heading and the lines up to the next blank line). */
function cutBoilerplateParagraphs(text: string, cut: string[]): string {
  const lines = text.split("\n");
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const heading = MARKDOWN_HEADING.exec(lines[i] ?? "")?.[1];
    if (heading === undefined || !BOILERPLATE_HEADING.test(normalize(heading))) {
      kept.push(lines[i] ?? "");
      continue;
    }
    const paragraph = [lines[i] ?? ""];
    while (i + 1 < lines.length && (lines[i + 1] ?? "").trim().length > 0) paragraph.push(lines[++i] ?? "");
    cut.push(paragraph.join("\n"));
  }
  return kept.join("\n");
}

/** Field rows the Ax paragraphs declare (only the Input Fields paragraph's when `inputsOnly`). */
function axFieldRows(paragraphs: readonly string[], inputsOnly: boolean): string[] {
  const names: string[] = [];
  for (const p of paragraphs)
    for (const line of inputsOnly && !/input fields/i.test(p.split("\n")[0] ?? "") ? [] : p.split("\n").slice(1)) {
      const m = AX_FIELD_ROW.exec(line);
      if (m?.[1]) names.push(normalize(m[1]));
    }
  return names;
}

/** The instruction up to where demos begin: a demos heading, or a line that starts with a declared input field. */
function cutDemos(text: string, fields: ReadonlySet<string>): string {
  const lines = text.split("\n");
  const at = lines.findIndex((line) => {
    const heading = MARKDOWN_HEADING.exec(line)?.[1];
    if (heading !== undefined && DEMO_HEADING.test(normalize(heading))) return true;
    const label = /^([A-Za-z][A-Za-z0-9 _-]{0,60}):/.exec(line)?.[1];
    return label !== undefined && fields.has(normalize(label));
  });
  return at < 0 ? text : lines.slice(0, at).join("\n");
}

export function readSystemText(system: string): SystemReading {
  if (!hasFrameworkCue(system)) return { instruction: system, boilerplate: false, fields: [], inputFields: [] };
  const cut: string[] = [];
  let rest = system;
  const objective = DSPY_OBJECTIVE.exec(rest);
  if (objective) {
    cut.push(rest.slice(0, objective.index + objective[0].length));
    rest = rest.slice(objective.index + objective[0].length);
  }
  const sentence = AX_FIELDS_SENTENCE.exec(rest);
  const sentenceInputs = sentence ? declaredNames(sentence[1] ?? "") : [];
  if (sentence) {
    cut.push(sentence[0]);
    rest = rest.slice(0, sentence.index) + rest.slice(sentence.index + sentence[0].length);
  }
  rest = cutBoilerplateParagraphs(rest, cut);
  const fields = [...new Set([...declaredNames(cut.join("\n")), ...axFieldRows(cut, false)])];
  const inputFields = [...new Set([...sentenceInputs, ...axFieldRows(cut, true)])];
  const instruction = cutDemos(
    rest
      .split("\n")
      .map((l) => l.trim())
      .join("\n"),
    new Set(inputFields),
  ).trim();
  // Boilerplate and nothing else (a signature without instructions): what is there is all a model has.
  return { instruction: instruction.length > 0 ? instruction : system, boilerplate: true, fields, inputFields };
}

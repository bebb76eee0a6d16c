/**
 * The instruction in a system message: what the prompt's author wrote, told apart from the
 * boilerplate an agent framework wraps around it, and from demos it appends. A model takes its role
 * and its directives from the instruction; the boilerplate says only which fields come in and go out.
 * The layouts known (packages/simlm/README.md, "Agent layouts simlm reads"):
 * - DSPy's ChatAdapter: "Your input fields are: …" / "Your output fields are: …", the `[[ ## field ## ]]`
 *   template, then "In adhering to this structure, your objective is:" and the instruction;
 * - Ax: "You will be provided with the following fields: … Your task is to generate new fields: …",
 *   with its input-fields, output-fields, formatting-rules and functions parts — as markdown or bold
 *   headed paragraphs (`## Input Fields`) or as tagged blocks (`<input_fields>…</input_fields>`), the
 *   description last (bare, or in `<task_definition>`), demos after it.
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

/** A part of the boilerplate that was set aside, and whether it declares input fields, fields of any kind, or none. */
interface Cut {
  kind: "inputs" | "fields" | "other";
  text: string;
  /** Its lines are field rows (`Name: description`), as in Ax's fields parts. */
  rows?: boolean;
}

/** DSPy's line before the signature's instructions; everything after it is the instruction. */
const DSPY_OBJECTIVE = /In adhering to this structure, your objective is:[ \t]*/i;
/** DSPy's field lists, which open its boilerplate. */
const DSPY_FIELD_LISTS = /^[ \t]*Your (input|output) fields are:[ \t]*$/im;
/** DSPy's boilerplate lines, when there is no objective line to cut before. */
const DSPY_LINE =
  /^\s*(Your (input|output) fields are:\s*$|\d+\.\s+`[^`]+`|All interactions will be structured\b|Inputs will be structured\b|\[\[\s*##.*##\s*\]\]\s*$|\{[A-Za-z0-9_]+\}\s*$)/;
/** Ax's opening sentence naming the fields. */
const AX_FIELDS_SENTENCE = /You will be provided with the following fields:([^\n]*?)(Your task is to generate new fields:[^\n]*)?(\n|$)/i;
/** Ax's tagged blocks that say nothing about the role. */
const AX_TAGGED = /<(identity|available_functions|input_fields|output_fields|formatting_rules)>([\s\S]*?)<\/\1>/g;
const AX_TASK_DEFINITION = /<\/?task_definition>/g;
/** Headings of boilerplate paragraphs (the heading and the lines up to the next blank line). */
const BOILERPLATE_HEADING =
  /^(input fields|output fields|strict output formatting rules|output formatting rules|formatting rules|critical plain text output format|function call instructions|available functions)$/;
/** Where a framework's demos begin: everything from such a heading on is demos, not instruction. */
const DEMO_HEADING = /^(examples?|example demonstrations?|demonstrations?|demos?|few shot examples?)$/;
/** A heading line: markdown, or bold with optional text after it (`**Input Fields**: The following …`). */
const HEADING = /^\s{0,3}(?:#{1,6}\s+(.+?)\s*#*\s*$|\*\*(.+?)\*\*\s*:?)/;
const BACKTICKED = /`([^`\n]{1,60})`/g;
const DSPY_MARKER_LINE = /^\s*\[\[\s*##\s*(.+?)\s*##\s*\]\]\s*$/gm;
/** A label right after a sentence's end on the same line (its start is the sentence's last mark). */
const GLUED_LABEL = /[.!?]([A-Za-z][A-Za-z0-9 _'’-]{0,59}):/g;
/** A declared field row in a fields part: `Question: The word problem.` or `Answer: (This string field …)`. */
const FIELD_ROW = /^\s*([A-Za-z][A-Za-z0-9 _()'’-]{0,59}):/;

/** Does the text carry a framework's own boilerplate wording? */
function hasFrameworkCue(text: string): boolean {
  return DSPY_OBJECTIVE.test(text) || DSPY_FIELD_LISTS.test(text) || AX_FIELDS_SENTENCE.test(text);
}

function headingOf(line: string): string | undefined {
  const m = HEADING.exec(line);
  const heading = m?.[1] ?? m?.[2];
  return heading === undefined ? undefined : normalize(heading);
}

function kindOf(heading: string): Cut["kind"] {
  return /\binput fields?\b/.test(heading) ? "inputs" : /\boutput fields?\b/.test(heading) ? "fields" : "other";
}

/** Field names a cut part declares: backticked names, `[[ ## name ## ]]` markers, and rows of a fields part. */
function declaredNames(cut: Cut): string[] {
  if (cut.kind === "other") return [];
  const names: string[] = [];
  for (const m of cut.text.matchAll(BACKTICKED)) names.push(normalize((m[1] ?? "").replace(/:$/, "")));
  for (const m of cut.text.matchAll(DSPY_MARKER_LINE)) names.push(normalize(m[1] ?? ""));
  for (const line of cut.rows ? cut.text.split("\n") : []) {
    const row = headingOf(line) === undefined ? FIELD_ROW.exec(line)?.[1] : undefined;
    if (row !== undefined) names.push(normalize(row));
  }
  return names.filter((n) => n.length > 0 && n !== "completed" && !/^\[\[/.test(n));
}

/** DSPy's boilerplate: all before the objective line; without one, its own lines wherever they are. */
function cutDspy(text: string, cuts: Cut[]): string {
  const objective = DSPY_OBJECTIVE.exec(text);
  const block = objective ? text.slice(0, objective.index + objective[0].length) : undefined;
  const lines = block === undefined ? text.split("\n").filter((l) => DSPY_LINE.test(l)) : [block];
  const all = lines.join("\n");
  // The input list runs from "Your input fields are:" to "Your output fields are:".
  const inputs = /Your input fields are:([\s\S]*?)(Your output fields are:|$)/i.exec(all)?.[1];
  if (inputs !== undefined) cuts.push({ kind: "inputs", text: inputs });
  cuts.push({ kind: "fields", text: all });
  if (objective) return text.slice(objective.index + objective[0].length);
  return text
    .split("\n")
    .filter((l) => !DSPY_LINE.test(l))
    .join("\n");
}

/** Ax's tagged blocks, its opening sentence, and its headed boilerplate paragraphs. */
function cutAx(text: string, cuts: Cut[]): string {
  const cutSentence = (from: string): string => {
    const sentence = AX_FIELDS_SENTENCE.exec(from);
    if (!sentence) return from;
    cuts.push({ kind: "inputs", text: sentence[1] ?? "" }, { kind: "fields", text: sentence[2] ?? "" });
    return from.slice(0, sentence.index) + from.slice(sentence.index + sentence[0].length);
  };
  let rest = text.replace(AX_TAGGED, (whole: string, tag: string) => {
    if (tag === "identity") cutSentence(whole);
    else cuts.push({ kind: tag === "input_fields" ? "inputs" : tag === "output_fields" ? "fields" : "other", text: whole, rows: true });
    return "";
  });
  rest = cutSentence(rest.replace(AX_TASK_DEFINITION, ""));
  const lines = rest.split("\n");
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const heading = headingOf(lines[i] ?? "");
    if (heading === undefined || !BOILERPLATE_HEADING.test(heading)) {
      kept.push(lines[i] ?? "");
      continue;
    }
    const paragraph = [lines[i] ?? ""];
    // A heading whose paragraph starts after a blank line (`**Input Fields**: …` then the rows).
    if ((lines[i + 1] ?? "").trim().length === 0 && (lines[i + 2] ?? "").trim().length > 0) paragraph.push(lines[++i] ?? "");
    while (i + 1 < lines.length && (lines[i + 1] ?? "").trim().length > 0) paragraph.push(lines[++i] ?? "");
    cuts.push({ kind: kindOf(heading), text: paragraph.join("\n"), rows: true });
  }
  return kept.join("\n");
}

/**
 * The instruction up to where demos begin: a demos heading, or a declared input field's label at the
 * start of a line or glued to the end of the instruction's last sentence (Ax joins text demos to the
 * description with no separator: `…in order.Question: …`).
 */
function cutDemos(text: string, inputs: ReadonlySet<string>): string {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const heading = headingOf(line);
    if (heading !== undefined) {
      if (DEMO_HEADING.test(heading)) return lines.slice(0, i).join("\n");
      continue;
    }
    const label = FIELD_ROW.exec(line)?.[1];
    if (label !== undefined && inputs.has(normalize(label))) return lines.slice(0, i).join("\n");
    for (const m of line.matchAll(GLUED_LABEL)) {
      if (inputs.has(normalize(m[1] ?? ""))) return [...lines.slice(0, i), line.slice(0, (m.index ?? 0) + 1)].join("\n");
    }
  }
  return text;
}

export function readSystemText(system: string): SystemReading {
  if (!hasFrameworkCue(system)) return { instruction: system, boilerplate: false, fields: [], inputFields: [] };
  const cuts: Cut[] = [];
  let rest = system;
  if (DSPY_OBJECTIVE.test(rest) || DSPY_FIELD_LISTS.test(rest)) rest = cutDspy(rest, cuts);
  rest = cutAx(rest, cuts);
  const fields = [...new Set(cuts.flatMap(declaredNames))];
  const inputFields = [...new Set(cuts.filter((c) => c.kind === "inputs").flatMap(declaredNames))];
  const instruction = cutDemos(
    rest
      .split("\n")
      .map((l) => l.trim())
      .join("\n"),
    new Set(inputFields),
  )
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  // Boilerplate and nothing else (a signature without instructions): what is there is all a model has.
  return { instruction: instruction.length > 0 ? instruction : system, boilerplate: true, fields, inputFields };
}

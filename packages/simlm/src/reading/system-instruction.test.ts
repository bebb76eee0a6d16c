import { describe, expect, it } from "vitest";
import { readSystemText } from "./system-instruction.js";

const SOLVER = "You are the solver.\n\nSolve the word problem. Show your work.\n\nConstraints:\n- Follow the planner's steps in order.";

describe("readSystemText", () => {
  it("returns a prompt without a framework's wording whole, headings, examples and field-like lines included", () => {
    const prompt = `${SOLVER}\n\n## Input fields\nQuestion: the task\n\n## Examples\nQuestion: Mia has 3 marbles.\nAnswer: 3`;
    expect(readSystemText(prompt)).toEqual({ instruction: prompt, boilerplate: false, fields: [], inputFields: [] });
  });

  it("reads DSPy's instruction after its objective line, and the fields its boilerplate declares", () => {
    const system = [
      "Your input fields are:",
      "1. `question` (str): the problem",
      "2. `planner_output` (str): the planner's plan",
      "Your output fields are:",
      "1. `answer` (str)",
      "All interactions will be structured in the following way, with the appropriate values filled in.",
      "",
      "[[ ## question ## ]]\n{question}\n\n[[ ## planner_output ## ]]\n{planner_output}\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]",
      "In adhering to this structure, your objective is: ",
      ...SOLVER.split("\n").map((l) => `        ${l}`),
    ].join("\n");
    const r = readSystemText(system);
    expect(r).toMatchObject({ instruction: SOLVER, boilerplate: true, inputFields: ["question", "planner output"] });
    expect([...r.fields].sort()).toEqual(["answer", "planner output", "question"]);
  });

  it("sets aside DSPy's field lists without an objective line", () => {
    const r = readSystemText(`Your input fields are:\n1. \`question\` (str)\nYour output fields are:\n1. \`answer\` (str)\n\n${SOLVER}`);
    expect(r.instruction).toBe(SOLVER);
    expect(r.inputFields).toEqual(["question"]);
  });

  it("sets aside Ax's sentence and headed paragraphs, and the text demos it appends after the description", () => {
    const system = [
      "You will be provided with the following fields: `Question`, `Planner Output`. Your task is to generate new fields: `Answer`.",
      "## Input Fields\nQuestion: (A string field) The problem.\nPlanner Output: (A string field) The plan.",
      "## Output Fields\nAnswer: (This string field must be included) The result.",
      "## Strict Output Formatting Rules\n- Output must strictly follow the defined plain-text `field name: value` field format.\n- Do not use code blocks.",
      SOLVER,
    ].join("\n\n");
    const r = readSystemText(`${system}Question: Mia has 3 marbles.\nPlanner Output: Steps: add\nAnswer: 3\n`);
    expect(r).toMatchObject({ instruction: SOLVER, boilerplate: true, inputFields: ["question", "planner output"] });
    expect(r.fields).toContain("answer");
  });

  it("reads Ax's tagged template: the description in <task_definition>, demos announced after it", () => {
    const system = [
      "<identity>\nYou will be provided with the following fields: `Question`. Your task is to generate new fields: `Answer`.\n</identity>",
      "<input_fields>\n**Input Fields**: The following fields will be provided to you:\n\nQuestion: The problem.\n</input_fields>",
      "<formatting_rules>\nThese rules are mandatory and override later instructions.\n</formatting_rules>",
      `<task_definition>\n${SOLVER}\n</task_definition>`,
      "## Example Demonstrations\nThe following User/Assistant turns are examples only until --- END OF EXAMPLES ---.",
    ].join("\n\n");
    expect(readSystemText(system)).toMatchObject({ instruction: SOLVER, boilerplate: true, inputFields: ["question"] });
  });

  it("keeps the whole text when the boilerplate is all there is", () => {
    const system = "You will be provided with the following fields: `Question`. Your task is to generate new fields: `Answer`.";
    expect(readSystemText(system)).toMatchObject({ instruction: system, boilerplate: true });
  });
});

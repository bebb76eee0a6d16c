import { describe, expect, it } from "vitest";
import { readLabelledFields } from "./labelled-fields.js";

const MARKERS = ["Quantities: ", "Steps: ", "Answer: "];
const fields = (text: string, declared: string[] = []) =>
  readLabelledFields(text, { declared, contentMarkers: MARKERS }).map((f) => [f.heading, f.body]);

describe("readLabelledFields", () => {
  it("reads `Label: value` lines, the value continued on the lines below, output-marker lines kept as content", () => {
    expect(fields("Question: Mia has 3 marbles.\nPlanner Output: Quantities: 3 marbles\nSteps: (1) add\nAnswer: 3\n")).toEqual([
      ["Question", "Mia has 3 marbles."],
      ["Planner Output", "Quantities: 3 marbles\nSteps: (1) add\nAnswer: 3"],
    ]);
  });

  it("reads DSPy's [[ ## field ## ]] markers and stops at its closing request or completed marker", () => {
    const text =
      "[[ ## question ## ]]\nMia has 3 marbles.\n\n[[ ## plan ## ]]\nSteps: (1) add\n\nRespond with the corresponding output fields, starting with the field `[[ ## answer ## ]]`.";
    expect(fields(text)).toEqual([
      ["question", "Mia has 3 marbles."],
      ["plan", "Steps: (1) add"],
    ]);
    expect(fields("[[ ## question ## ]]\nQ\n\n[[ ## completed ## ]]\nLater: text")).toEqual([["question", "Q"]]);
  });

  it("never splits inside a code fence, one opened on a label's own line included", () => {
    expect(fields("Task: write f\nCoder Output: ```python\ndef f(n):\n    return n\n```")).toEqual([
      ["Task", "write f"],
      ["Coder Output", "```python\ndef f(n):\n    return n\n```"],
    ]);
  });

  it("takes only declared labels when a framework declared its fields, and only short ones otherwise", () => {
    const text = "Question: Q\nNote to self: keep going\nPlan: P";
    expect(fields(text, ["question", "plan"])).toEqual([
      ["Question", "Q\nNote to self: keep going"],
      ["Plan", "P"],
    ]);
    expect(fields("Question: Q\nThis line is a long sentence before a colon: not a label")).toEqual([
      ["Question", "Q\nThis line is a long sentence before a colon: not a label"],
    ]);
  });

  it("reads markdown and bold headings mixed in, and ignores text before the first label", () => {
    expect(fields("Please help.\n**Question**\nQ\n### Plan\nP")).toEqual([
      ["Question", "Q"],
      ["Plan", "P"],
    ]);
  });
});

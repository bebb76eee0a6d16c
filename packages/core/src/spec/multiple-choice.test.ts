import { describe, expect, it } from "vitest";
import { scoreFinalOutput } from "./metric.js";
import { choiceOf } from "./multiple-choice.js";

const ABCDE = "ABCDE";

describe("the multiple-choice letter", () => {
  it.each([
    ["Answer: (C)", "C"],
    ["The answer is C.", "C"],
    ["so the answer is (b)", "B"],
    ["Final answer: **D**", "D"],
    ["The correct option is E because the rest overcount.", "E"],
    ["Option B is correct.", "B"],
    ["After checking, A is the right answer.", "A"],
    ["the answer is c.", "C"],
    ["Answer: A) 42", "A"],
  ])("reads an explicit answer statement: %j → %s", (text, letter) => {
    expect(choiceOf(text, ABCDE)).toBe(letter);
  });

  it("takes the last statement when the text changes its mind", () => {
    expect(choiceOf("At first the answer is B. On reflection, the answer is D.", ABCDE)).toBe("D");
  });

  it("takes a line that is only a letter when no statement names one", () => {
    expect(choiceOf("Working: 12 * 3 = 36, minus 4.\n(C)", ABCDE)).toBe("C");
    expect(choiceOf("Let me think.\n**B**\n", ABCDE)).toBe("B");
  });

  it("falls back to the last standalone capital letter, skipping articles and pronouns", () => {
    expect(choiceOf("A train leaves at 3. I think it is E", ABCDE)).toBe("E");
    expect(choiceOf("Between (A) and (D), I pick (D)", ABCDE)).toBe("D");
  });

  it("picks no letter from text without one, nor a lower-case word after 'answer is'", () => {
    expect(choiceOf("I am not sure.", ABCDE)).toBeUndefined();
    expect(choiceOf("the answer is a bit unclear", ABCDE)).toBeUndefined();
    expect(choiceOf("Answer: F", ABCDE)).toBeUndefined();
  });

  it("knows only the letters of the choices", () => {
    expect(choiceOf("Answer: E", "ABCD")).toBeUndefined();
    expect(choiceOf("Answer: D", "ABCD")).toBe("D");
  });
});

describe("the multiple_choice metric", () => {
  const metric = { kind: "multiple_choice" as const, choices: ABCDE };
  it("scores 1 when the output picks the label's letter, whichever way either is written", () => {
    expect(scoreFinalOutput(metric, "so the answer is (c)", "C")).toBe(1);
    expect(scoreFinalOutput(metric, "Answer: C", "(C)")).toBe(1);
    expect(scoreFinalOutput(metric, "Answer: B", "C")).toBe(0);
    expect(scoreFinalOutput(metric, "no idea", "C")).toBe(0);
  });
});

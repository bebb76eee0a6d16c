import { describe, expect, it } from "vitest";
import { fieldOf, jsonValuesIn } from "./json-in-text.js";

describe("jsonValuesIn", () => {
  it("finds the object a model wrapped in a code fence and prose, braces inside strings included", () => {
    const text = 'Sure! Here it is:\n```json\n{"winner": "A", "reason": "B uses {braces} in \\"quotes\\""}\n```\nHope that helps.';
    expect(jsonValuesIn(text)).toEqual([{ winner: "A", reason: 'B uses {braces} in "quotes"' }]);
  });

  it("returns every top-level object in order and nothing for text without JSON", () => {
    expect(jsonValuesIn('first {"a": 1} then [2, 3] and {not json}')).toEqual([{ a: 1 }, [2, 3]]);
    expect(jsonValuesIn("no JSON at all")).toEqual([]);
  });
});

describe("fieldOf", () => {
  it("matches a key whatever its case and separators", () => {
    expect(fieldOf({ New_Prompt: "p" }, "newPrompt")).toBe("p");
    expect(fieldOf({ other: 1 }, "newPrompt")).toBeUndefined();
  });
});

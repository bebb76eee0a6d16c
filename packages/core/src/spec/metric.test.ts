import { describe, expect, it } from "vitest";
import { isLabelMetric, scoreFinalOutput } from "./metric.js";

describe("scoreFinalOutput", () => {
  it("exact_match compares the extract's first group, ignoring case and spacing by default", () => {
    const metric = { kind: "exact_match", extract: "Answer:\\s*(.+)", caseSensitive: false } as const;
    expect(scoreFinalOutput(metric, "working...\nAnswer:  Paris ", "paris")).toBe(1);
    expect(scoreFinalOutput(metric, "Answer: London", "paris")).toBe(0);
    expect(scoreFinalOutput(metric, "no answer line", "paris")).toBe(0);
  });

  it("exact_match applies the extract to a label written in the answer's format", () => {
    const metric = { kind: "exact_match", extract: "Answer:\\s*(\\d+)", caseSensitive: false } as const;
    expect(scoreFinalOutput(metric, "Answer: 42", "Answer: 42")).toBe(1);
    expect(scoreFinalOutput(metric, "Answer: 42", "42")).toBe(1);
  });

  it("exact_match without an extract compares the whole output; caseSensitive is honoured", () => {
    expect(scoreFinalOutput({ kind: "exact_match", caseSensitive: false }, " Yes ", "yes")).toBe(1);
    expect(scoreFinalOutput({ kind: "exact_match", caseSensitive: true }, "Yes", "yes")).toBe(0);
  });

  it("numeric takes the last number without an extract, within tolerance", () => {
    const metric = { kind: "numeric", tolerance: 1e-9 } as const;
    expect(scoreFinalOutput(metric, "3 + 4 = 7, so the total is 1,234.5", "1234.5")).toBe(1);
    expect(scoreFinalOutput(metric, "the total is 12", "13")).toBe(0);
    expect(scoreFinalOutput(metric, "no number here", "13")).toBe(0);
    expect(scoreFinalOutput({ kind: "numeric", tolerance: 0.01 }, "x = 0.333", "0.33")).toBe(1);
    expect(scoreFinalOutput(metric, "x = -5", "-5")).toBe(1);
  });

  it("numeric with an extract reads the number from the captured part", () => {
    const metric = { kind: "numeric", extract: "Answer:\\s*(\\S+)", tolerance: 1e-9 } as const;
    expect(scoreFinalOutput(metric, "Answer: 19 (not 20)", "19")).toBe(1);
    expect(scoreFinalOutput(metric, "I think 19", "19")).toBe(0);
  });

  it("contains looks for the label in the output, ignoring case and spacing", () => {
    expect(scoreFinalOutput({ kind: "contains" }, "The capital is  PARIS, France", "paris, france")).toBe(1);
    expect(scoreFinalOutput({ kind: "contains" }, "The capital is Lyon", "paris")).toBe(0);
  });

  it("tells label metrics from world and judge metrics", () => {
    expect(isLabelMetric({ kind: "contains" })).toBe(true);
    expect(isLabelMetric({ kind: "world" })).toBe(false);
    expect(isLabelMetric({ kind: "judge" })).toBe(false);
  });
});

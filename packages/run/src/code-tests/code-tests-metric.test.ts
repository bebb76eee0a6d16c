import { type CodeTestsMetric, type Example } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { codeTestsScorer, testsOf } from "./code-tests-metric.js";

const METRIC: CodeTestsMetric = { kind: "code_tests", language: "python", tests: "test_list", timeoutMs: 5000, memoryMb: 256 };
const example = (fields: Record<string, unknown>): Example => ({ id: "601", input: "Write a function add(a, b).", fields });
const TESTS = ["assert add(1, 2) == 3", "assert add(2, 2) == 4", "assert add(-1, 1) == 0", "assert add(5, 5) == 11"];

describe("the code_tests metric", () => {
  it("scores the share of the example's tests that the fenced code passes, prose around it ignored", async () => {
    const score = codeTestsScorer(METRIC);
    const output = "Here you go:\n```python\ndef add(a, b):\n    return a + b\n```\nHope it helps.";
    expect(await score(output, example({ test_list: TESTS }))).toBe(0.75);
  });

  it("runs the whole output when there is no fenced block: bare code passes, code inside prose scores 0", async () => {
    const score = codeTestsScorer(METRIC);
    expect(await score("def add(a, b):\n    return a + b", example({ test_list: TESTS }))).toBe(0.75);
    expect(await score("Code: def add(a, b):\n    return a + b", example({ test_list: TESTS }))).toBe(0);
  });

  it("runs JavaScript for language: javascript", async () => {
    const score = codeTestsScorer({ ...METRIC, language: "javascript" });
    const output = "```js\nfunction add(a, b) { return a + b }\n```";
    expect(await score(output, example({ test_list: ["assert.strictEqual(add(1, 2), 3)", "assert.strictEqual(add(1, 1), 3)"] }))).toBe(0.5);
  });

  it("reads the setup code from the field the metric names", async () => {
    const score = codeTestsScorer({ ...METRIC, setup: "test_setup_code" });
    expect(
      await score(
        "def add(a, b):\n    return a + b + OFFSET",
        example({ test_list: ["assert add(1, 2) == 13"], test_setup_code: "OFFSET = 10" }),
      ),
    ).toBe(1);
  });

  it("does not score an example that carries no tests", async () => {
    expect(await codeTestsScorer(METRIC)("def add(a, b):\n    return a + b", example({ other: 1 }))).toBeUndefined();
  });

  it("runs identical code against identical tests once", async () => {
    let runs = 0;
    const score = codeTestsScorer(METRIC, { onRun: () => runs++ });
    const ex = example({ test_list: TESTS });
    const scores = await Promise.all([1, 2, 3].map(() => score("```python\ndef add(a, b):\n    return a + b\n```", ex)));
    expect(scores).toEqual([0.75, 0.75, 0.75]);
    await score("```python\ndef add(a, b):\n    return b + a\n```", ex);
    expect(runs).toBe(2);
  });
});

describe("tests in a field", () => {
  it("takes a list of strings, a JSON list in a string (a CSV cell), or one test program", () => {
    expect(testsOf(["assert f() == 1", "assert f(2) == 2"])).toEqual(["assert f() == 1", "assert f(2) == 2"]);
    expect(testsOf('["assert f() == 1", "assert g()"]')).toEqual(["assert f() == 1", "assert g()"]);
    expect(testsOf("assert f() == 1\nassert g()")).toEqual(["assert f() == 1\nassert g()"]);
    expect(testsOf([])).toBeUndefined();
    expect(testsOf([1, 2])).toBeUndefined();
    expect(testsOf("  ")).toBeUndefined();
  });
});

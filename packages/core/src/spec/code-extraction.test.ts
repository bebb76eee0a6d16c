import { describe, expect, it } from "vitest";
import { extractCode } from "./code-extraction.js";

describe("the code a code_tests metric runs", () => {
  it("is the first fenced block of the language, prose and other blocks ignored", () => {
    const output = "Usage:\n```\nadd(1, 2)\n```\nThe code:\n```python\ndef add(a, b):\n    return a + b\n```\n```js\nadd(1, 2)\n```";
    expect(extractCode(output, "python")).toBe("def add(a, b):\n    return a + b");
    expect(extractCode(output, "javascript")).toBe("add(1, 2)");
  });

  it("is the first untagged block when none names the language, else the first block", () => {
    expect(extractCode("```text\nnot code\n```\n```\nx = 1\n```", "python")).toBe("x = 1");
    expect(extractCode("```ts\nconst x = 1;\n```", "javascript")).toBe("const x = 1;");
  });

  it("accepts tildes and longer fences, and runs an unclosed fence to the end", () => {
    expect(extractCode("~~~py\nx = 1\n~~~", "python")).toBe("x = 1");
    expect(extractCode("````python\nx = '```'\n````", "python")).toBe("x = '```'");
    expect(extractCode("```python\ndef f():\n    return 1", "python")).toBe("def f():\n    return 1");
  });

  it("is the whole output when it has no fenced block", () => {
    expect(extractCode("  def f():\n    return 1\n", "python")).toBe("def f():\n    return 1");
  });
});

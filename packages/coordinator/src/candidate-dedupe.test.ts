import { describe, expect, it } from "vitest";
import { dedupe } from "./candidate-dedupe.js";

const id = (s: string) => s;

describe("dedupe", () => {
  it("drops a proposal that only restates an existing prompt up to case and whitespace", () => {
    expect(dedupe(["solve  THE problem", "check units"], ["Solve the problem"], id)).toEqual(["check units"]);
  });

  it("keeps the first of two proposals that restate each other, in proposal order", () => {
    expect(dedupe(["b", "a", "B ", "c"], [], id)).toEqual(["b", "a", "c"]);
  });

  it("never keeps an empty or whitespace-only proposal", () => {
    expect(dedupe(["", "   ", "x"], [], id)).toEqual(["x"]);
  });

  it("reads the prompt through promptOf, so candidates keep their parent", () => {
    const items = [
      { parent: "p0", prompt: "A" },
      { parent: "p1", prompt: "a" },
    ];
    expect(dedupe(items, [], (c) => c.prompt)).toEqual([{ parent: "p0", prompt: "A" }]);
  });
});

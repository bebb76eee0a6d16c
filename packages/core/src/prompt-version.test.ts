import { describe, expect, it } from "vitest";
import { normalizePrompt, promptVersion } from "./prompt-version.js";

describe("prompt identity", () => {
  it("names a prompt by a short hash of its exact text", () => {
    expect(promptVersion("You are the solver.")).toMatch(/^[0-9a-f]{12}$/);
    expect(promptVersion("You are the solver.")).not.toBe(promptVersion("You are the solver. "));
  });

  it("de-duplicates prompts that differ only in case and whitespace", () => {
    expect(normalizePrompt(" A\n\tB ")).toBe("a b");
    expect(normalizePrompt("You are  the Solver.")).toBe(normalizePrompt("you are the solver."));
  });
});

import { describe, expect, it } from "vitest";
import { dedupeProposals, parseProposal } from "./proposals.js";

describe("parseProposal", () => {
  it.each([
    ['{"analysis":"a","modification":"m","prompt":"New prompt."}', "New prompt."],
    ['```json\n{"analysis":"a","modification":"m","prompt":"Fenced."}\n```', "Fenced."],
    ['Here you go:\n{"Analysis":"a","New_Prompt":"Keyed differently."}\nThanks!', "Keyed differently."],
    ['{"prompt":"<<<\\nWrapped prompt.\\n>>>"}', "Wrapped prompt."],
    ['{"proposals":[{"prompt":"First of many."},{"prompt":"Second."}]}', "First of many."],
    ['[{"newPrompt":"In an array."}]', "In an array."],
  ])("reads the proposal in %j", (text, prompt) => {
    const parsed = parseProposal(text);
    expect(parsed.ok && parsed.proposal.prompt).toBe(prompt);
  });

  it("keeps the analysis and the modification", () => {
    expect(parseProposal('{"analysis":" why ","modification":"what","prompt":"p"}')).toEqual({
      ok: true,
      proposal: { prompt: "p", analysis: "why", modification: "what" },
    });
  });

  it.each([
    "Here is my proposal.\n\nAdded a rule.\n\nYou are the solver.",
    '{"analysis":"a","modification":"m","prompt":"You are the sol',
    '{"analysis":"no prompt here"}',
    '{"prompt": 42}',
  ])("rejects the malformed answer %j", (text) => {
    expect(parseProposal(text).ok).toBe(false);
  });
});

describe("dedupeProposals", () => {
  it("drops empty prompts, existing prompts and repeats, comparing normalised whitespace and case", () => {
    const items = [
      { prompt: "  " },
      { prompt: "You are  the SOLVER." },
      { prompt: "New one." },
      { prompt: "new ONE.\n" },
      { prompt: "Another." },
    ];
    const out = dedupeProposals(items, ["you are the solver."]);
    expect(out.kept.map((i) => i.prompt)).toEqual(["New one.", "Another."]);
    expect(out).toMatchObject({ empty: 1, duplicates: 2 });
  });
});

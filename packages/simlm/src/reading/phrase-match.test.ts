import { describe, expect, it } from "vitest";
import { sentenceCarries, sentenceSpans } from "./phrase-match.js";

describe("sentenceCarries", () => {
  it("matches a phrase regardless of case, punctuation and markup", () => {
    expect(sentenceCarries("- **SHOW your work!**", "show your work")).toBe(true);
  });

  it("matches a paraphrase that keeps most content words", () => {
    expect(
      sentenceCarries("Please list all of the quantities given in the word problem.", "list every quantity given in the problem"),
    ).toBe(true);
  });

  it("does not read a negated sentence as the positive directive", () => {
    expect(sentenceCarries("Do not show your work.", "show your work")).toBe(false);
  });

  it("does not match unrelated sentences", () => {
    expect(sentenceCarries("Be polite to the user.", "list every quantity given in the problem")).toBe(false);
  });
});

describe("sentenceSpans", () => {
  it("splits at sentence ends and line breaks but not inside numbers or code spans", () => {
    const spans = sentenceSpans("Round to 2.5 units. Use `a.b` here; then stop\nNext line").map((s) => s.text.trim());
    expect(spans).toEqual(["Round to 2.5 units.", "Use `a.b` here;", "then stop", "Next line"]);
  });
});

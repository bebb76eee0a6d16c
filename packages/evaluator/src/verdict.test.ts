import type { LlmCallRequest, LlmCaller } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { askJudge, parseVerdict } from "./verdict.js";

function scripted(answers: string[]): LlmCaller & { calls: LlmCallRequest[] } {
  const calls: LlmCallRequest[] = [];
  return {
    calls,
    async complete(req) {
      calls.push(req);
      const content = answers[Math.min(calls.length - 1, answers.length - 1)] ?? "";
      return { content, finishReason: "stop", usage: { promptTokens: 3, completionTokens: 2 }, cached: false };
    },
  };
}

const messages = [
  { role: "system" as const, content: "judge" },
  { role: "user" as const, content: "compare" },
];

describe("parseVerdict", () => {
  it.each([
    ['{"winner": "A", "reason": "clearer"}', "A", "clearer"],
    ['```json\n{"winner": "b", "reason": "r"}\n```', "B", "r"],
    ['Sure! Here is my verdict: {"Winner": "Response B", "Reason": "more complete"} Hope that helps.', "B", "more complete"],
    ['{"verdict": "[[A]]"}', "A", ""],
    ['{"winner": "Tie", "reason": "same"}', "tie", "same"],
    ['{"winner": "neither", "reason": "both wrong"}', "tie", "both wrong"],
    ['{"winner": "equal"}', "tie", ""],
    ["winner: B", "B", ""],
    ['{"winner": "A", "reason": "cut sho', "A", ""],
    ['{"reason": "B states the total the task asks for", "winner": "B"}', "B", "B states the total the task asks for"],
    ['{"reason": "both reach 7", "winner": "tie"}', "tie", "both reach 7"],
    ['{"reason": "A omits the total", "winner": "B"', "B", ""],
    ["A", "A", ""],
  ])("reads %s as winner %s", (text, winner, reason) => {
    expect(parseVerdict(text)).toEqual({ ok: true, verdict: { winner, reason } });
  });

  it.each([
    "",
    "I think both have merits.",
    '{"winner": "C"}',
    '{"winner": "A and B"}',
    '{"winner": "A is clearly',
    "The winner: A is not obvious, B",
    "winner: A ... on reflection winner: B",
    // reason first, cut off inside the reason: a winner the reason mentions is not the verdict
    '{"reason": "B skips a step, so the winner: A.',
    '{"reason": "the \\"winner\\": \\"A\\" would be the shorter one',
  ])("rejects the malformed verdict %j", (text) => {
    expect(parseVerdict(text).ok).toBe(false);
  });
});

describe("askJudge", () => {
  it("retries a malformed verdict under the next sample index and uses the readable retry", async () => {
    const llm = scripted(["no idea", '{"winner":"B","reason":"ok"}']);
    const out = await askJudge({ llm, endpointId: "judge", messages, seed: 9 });
    expect(out.malformed).toBe(false);
    expect(out.verdict.winner).toBe("B");
    expect(out.attempts).toBe(2);
    expect(llm.calls.map((c) => c.sampleIndex)).toEqual([0, 1]);
    expect(llm.calls.every((c) => c.json === true && c.temperature === 0 && c.role === "evaluator" && c.seed === 9)).toBe(true);
    expect(out.problems).toEqual([{ problem: "no JSON verdict found", answer: "no idea" }]);
    expect(out.tally).toEqual({ calls: 2, cached: 0, promptTokens: 6, completionTokens: 4 });
  });

  it("counts a verdict that stays malformed as a tie and reports it, without throwing", async () => {
    const llm = scripted(['{"winner": "A is clearly', '{"verdict": "maybe"}', "???"]);
    const out = await askJudge({ llm, endpointId: "judge", messages, seed: 1, maxAttempts: 3 });
    expect(out.verdict.winner).toBe("tie");
    expect(out.malformed).toBe(true);
    expect(out.attempts).toBe(3);
    expect(out.problems).toHaveLength(3);
    expect(llm.calls.map((c) => c.sampleIndex)).toEqual([0, 1, 2]);
  });
});

import type { LlmCallRequest, LlmCaller } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { buildJudgeMessages } from "./judge-prompts.js";
import { comparePairwise, withoutPositionLabels } from "./pairwise.js";
import { askJudge } from "./verdict.js";

/** A judge that always prefers whatever is shown first: pure position bias. */
function alwaysA(): LlmCaller & { calls: LlmCallRequest[] } {
  const calls: LlmCallRequest[] = [];
  return {
    calls,
    async complete(req) {
      calls.push(req);
      return {
        content: '{"winner":"A","reason":"first"}',
        finishReason: "stop",
        usage: { promptTokens: 1, completionTokens: 1 },
        cached: false,
      };
    },
  };
}

/** A judge that prefers the response containing "good", wherever it is shown. */
const fair: LlmCaller = {
  async complete(req) {
    const user = req.messages[1]?.content ?? "";
    const a = user.split("## Response A\n")[1]?.split("\n\n## Response B")[0] ?? "";
    return {
      content: JSON.stringify({ winner: a.includes("good") ? "A" : "B", reason: "substance" }),
      finishReason: "stop",
      usage: { promptTokens: 1, completionTokens: 1 },
      cached: false,
    };
  },
};

const question = { lens: "local" as const, roleInstruction: "You are the solver.", task: "2+2?" };

describe("comparePairwise", () => {
  it("cancels a judge's position bias: an always-A judge gives the candidate exactly one half", async () => {
    const llm = alwaysA();
    const out = await comparePairwise({ llm, endpointId: "j", seed: 1, question, candidate: "x", reference: "y" });
    expect(out.score).toBe(0.5);
    expect(out.orders.map((o) => [o.candidateAs, o.candidateScore])).toEqual([
      ["A", 1],
      ["B", 0],
    ]);
    // both orders were really asked: the candidate's text is Response A once and Response B once
    expect(llm.calls.map((c) => c.messages[1]?.content.includes("## Response A\nx"))).toEqual([true, false]);
  });

  it("without the swap the same judge shows its bias: the candidate shown first always wins", async () => {
    const verdicts = await Promise.all(
      [
        ["x", "y"],
        ["y", "x"],
      ].map(([first, second]) =>
        askJudge({
          llm: alwaysA(),
          endpointId: "j",
          seed: 1,
          messages: buildJudgeMessages({ ...question, responseA: first as string, responseB: second as string }),
        }),
      ),
    );
    // each side "wins" when shown first: one order alone cannot tell the two apart
    expect(verdicts.map((v) => v.verdict.winner)).toEqual(["A", "A"]);
  });

  it("gives a consistently better candidate a full win and a worse one a full loss", async () => {
    const win = await comparePairwise({ llm: fair, endpointId: "j", seed: 1, question, candidate: "good", reference: "bad" });
    const loss = await comparePairwise({ llm: fair, endpointId: "j", seed: 1, question, candidate: "bad", reference: "good" });
    expect([win.score, loss.score]).toEqual([1, 0]);
  });

  it("calls identical outputs a tie without asking the judge", async () => {
    const llm = alwaysA();
    const out = await comparePairwise({ llm, endpointId: "j", seed: 1, question, candidate: " same ", reference: "same" });
    expect(out).toMatchObject({ score: 0.5, method: "identical", malformed: 0 });
    expect(llm.calls).toHaveLength(0);
  });

  it("counts a malformed order as a tie for that order, never a win", async () => {
    let n = 0;
    const flaky: LlmCaller = {
      async complete(req) {
        n++;
        const candidateFirst = (req.messages[1]?.content ?? "").includes("## Response A\ncand");
        // the candidate-first order is always garbage; the other order says the reference wins
        const content = candidateFirst ? "garbage" : '{"winner":"A","reason":"reference better"}';
        return { content, finishReason: "stop", usage: { promptTokens: 1, completionTokens: 1 }, cached: false };
      },
    };
    const out = await comparePairwise({ llm: flaky, endpointId: "j", seed: 1, question, candidate: "cand", reference: "ref" });
    expect(out.malformed).toBe(1);
    expect(out.score).toBe(0.25);
    expect(n).toBe(3);
  });
});

describe("withoutPositionLabels", () => {
  it("names the side each position label stood for, given where the candidate was shown", () => {
    expect(withoutPositionLabels("Response B states figures that do not match the task.", "B")).toBe(
      "The candidate's response states figures that do not match the task.",
    );
    expect(withoutPositionLabels("Response B states figures that do not match the task.", "A")).toBe(
      "The reference's response states figures that do not match the task.",
    );
    expect(withoutPositionLabels("Unlike output A, Response (B) and B's plan keep the total; answer A's line is cut.", "A")).toBe(
      "Unlike the candidate's output, the reference's response and the reference's plan keep the total; the candidate's answer's line is cut.",
    );
  });

  it("leaves prose that only looks like a label alone", () => {
    expect(withoutPositionLabels("an output a reader trusts; a plan with steps", "A")).toBe("an output a reader trusts; a plan with steps");
  });
});

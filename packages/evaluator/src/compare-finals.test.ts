import type { LlmCallRequest, LlmCaller, WorkerContext } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { answerContractScore, compareFinalsTask } from "./compare-finals.js";

/** A judge that prefers the response containing "right", wherever it is shown; or always A when biased. */
function judge(biased = false): LlmCaller & { calls: LlmCallRequest[] } {
  const calls: LlmCallRequest[] = [];
  return {
    calls,
    async complete(req) {
      calls.push(req);
      const user = req.messages[1]?.content ?? "";
      const a = user.split("## Response A\n")[1]?.split("\n\n## Response B")[0] ?? "";
      const winner = biased || a.includes("right") ? "A" : "B";
      return {
        content: JSON.stringify({ winner, reason: "substance" }),
        finishReason: "stop",
        usage: { promptTokens: 1, completionTokens: 1 },
        cached: false,
      };
    },
  };
}

function context(llm: LlmCaller, hasAnswer?: (o: string) => boolean): WorkerContext {
  return {
    graph: {
      agents: [{ id: "f", role: "formatter", predecessors: [] }],
      final: "f",
      topology: "sequential",
    } as unknown as WorkerContext["graph"],
    llm,
    seed: 3,
    judgeModels: { local: "jl", lookahead: "jk", global: "jg" },
    optimizer: { model: "o", temperature: 0.7 },
    ...(hasAnswer ? { hasAnswer } : {}),
  };
}

const example = { id: "e1", input: "What is 2 + 2?", label: "4" };
const ok = (output: string) => ({ output, status: "ok" as const });

describe("compareFinalsTask (label-free: two final answers judged against each other)", () => {
  it("asks the global judge in both orders, and never shows it the label", async () => {
    const llm = judge();
    const out = await compareFinalsTask(context(llm), { example, candidate: ok("right: 4"), reference: ok("wrong: 5") });
    expect(out).toEqual({ score: 1, method: "judge", malformedVerdicts: 0 });
    expect(llm.calls.map((c) => c.endpointId)).toEqual(["jg", "jg"]);
    expect(llm.calls.map((c) => c.messages[1]?.content.includes("## Response A\nright: 4"))).toEqual([true, false]);
    expect(llm.calls.map((c) => c.messages[0]?.content)).toEqual([
      expect.stringMatching(/Global Alignment/),
      expect.stringMatching(/Global Alignment/),
    ]);
    for (const c of llm.calls) expect(c.messages.map((m) => m.content).join("\n")).not.toMatch(/label/i);
  });

  it("cancels position bias: a judge that always prefers Response A gives exactly one half", async () => {
    const out = await compareFinalsTask(context(judge(true)), { example, candidate: ok("x"), reference: ok("y") });
    expect(out.score).toBe(0.5);
  });

  it("identical answers tie without a call; a failed final step loses without a call; two failures tie", async () => {
    const llm = judge();
    const same = await compareFinalsTask(context(llm), { example, candidate: ok("4"), reference: ok(" 4 ") });
    const failedCandidate = await compareFinalsTask(context(llm), {
      example,
      candidate: { output: "", status: "empty" },
      reference: ok("4"),
    });
    const failedReference = await compareFinalsTask(context(llm), {
      example,
      candidate: ok("4"),
      reference: { output: "", status: "error" },
    });
    const bothFailed = await compareFinalsTask(context(llm), {
      example,
      candidate: { output: "", status: "refusal" },
      reference: { output: "", status: "error" },
    });
    expect([same, failedCandidate, failedReference, bothFailed].map((o) => [o.score, o.method])).toEqual([
      [0.5, "identical"],
      [0, "failure"],
      [1, "failure"],
      [0.5, "failure"],
    ]);
    expect(llm.calls).toHaveLength(0);
  });

  it("with an answer contract, a fluent non-answer loses to any answer without asking the judge", async () => {
    const llm = judge();
    const contract = (o: string) => /Answer:\s*\d+/i.test(o);
    const ctx = context(llm, contract);
    const nonAnswer = "Happy to help! The right result follows from the information given.";
    const lost = await compareFinalsTask(ctx, { example, candidate: ok(nonAnswer), reference: ok("Answer: 5") });
    const won = await compareFinalsTask(ctx, { example, candidate: ok("Answer: 5"), reference: ok(nonAnswer) });
    const neither = await compareFinalsTask(ctx, { example, candidate: ok(nonAnswer), reference: ok("Sure, right.") });
    expect([lost, won, neither].map((o) => [o.score, o.method])).toEqual([
      [0, "no-answer"],
      [1, "no-answer"],
      [0.5, "no-answer"],
    ]);
    expect(llm.calls).toHaveLength(0);
    // both answer: the judge decides
    const judged = await compareFinalsTask(ctx, { example, candidate: ok("right Answer: 4"), reference: ok("Answer: 5") });
    expect(judged).toMatchObject({ score: 1, method: "judge" });
  });

  it("answerContractScore: undefined when there is no contract or both answer", () => {
    const contract = (o: string) => o.startsWith("A:");
    expect(answerContractScore(undefined, "x", "y")).toBeUndefined();
    expect(answerContractScore(contract, "A: 1", "A: 2")).toBeUndefined();
    expect(answerContractScore(contract, "A: 1", "no")).toBe(1);
    expect(answerContractScore(contract, "no", "A: 2")).toBe(0);
    expect(answerContractScore(contract, "no", "nope")).toBe(0.5);
  });
});

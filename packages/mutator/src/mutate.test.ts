import { type LlmCallRequest, type LlmCaller, ValidationError, buildAgentUserMessage } from "@maspo/core";
import { promptVersion } from "@maspo/core";
import type { Trace } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { type MutateInput, ProposedPromptSchema, mutate } from "./mutate.js";

const trace: Trace = {
  exampleId: "e1",
  steps: {
    solver: {
      agentId: "solver",
      prompt: "You are the solver.",
      context: buildAgentUserMessage("What is 3 + 4?", []),
      output: "Answer: 8",
      status: "ok",
      usage: { promptTokens: 1, completionTokens: 1 },
      cached: false,
      latencyMs: 0,
    },
  },
  executed: ["solver"],
  finalAgent: "solver",
  finalOutput: "Answer: 8",
  finalScore: 0,
};

/** Answers each sample index from a script (the last entry repeats), recording the requests. */
function scripted(bySample: (sampleIndex: number) => string): LlmCaller & { calls: LlmCallRequest[] } {
  const calls: LlmCallRequest[] = [];
  return {
    calls,
    async complete(req) {
      calls.push(req);
      return {
        content: bySample(req.sampleIndex ?? 0),
        finishReason: "stop",
        usage: { promptTokens: 10, completionTokens: 4 },
        cached: false,
      };
    },
  };
}

const proposal = (prompt: string) => JSON.stringify({ analysis: "the answer was off by one", modification: "added a check", prompt });

function input(llm: LlmCaller, over: Partial<MutateInput> = {}): MutateInput {
  return {
    agentId: "solver",
    role: "solver",
    parent: "You are the solver.",
    operator: "add_constraint",
    traces: [trace],
    hardNegatives: [],
    llm,
    optimizerModel: "opt",
    temperature: 0.7,
    seed: 11,
    children: 3,
    existingPrompts: [],
    ...over,
  };
}

describe("mutate", () => {
  it("asks once per child under distinct sample indexes and keeps each proposal's lineage", async () => {
    const llm = scripted((i) => proposal(`You are the solver. Check your sum (${i}).`));
    const out = await mutate(input(llm));
    expect(llm.calls.map((c) => c.sampleIndex)).toEqual([0, 1, 2]);
    expect(
      llm.calls.every((c) => c.role === "optimizer" && c.temperature === 0.7 && c.seed === 11 && c.json === true && c.endpointId === "opt"),
    ).toBe(true);
    expect(out.proposals).toHaveLength(3);
    const first = out.proposals[0];
    expect(ProposedPromptSchema.parse(first)).toEqual(first);
    expect(first).toMatchObject({
      prompt: "You are the solver. Check your sum (0).",
      promptVersion: promptVersion("You are the solver. Check your sum (0)."),
      analysis: "the answer was off by one",
      lineage: {
        parentPromptVersion: promptVersion("You are the solver."),
        operator: "add_constraint",
        traceIds: ["e1"],
        hardNegativeIds: [],
        noTraces: false,
        sampleIndex: 0,
      },
    });
    expect(out.calls).toEqual({ calls: 3, cached: 0, promptTokens: 30, completionTokens: 12 });
    expect(out.noTraces).toBe(false);
  });

  it("retries a malformed answer under a fresh sample index, then drops and counts it", async () => {
    // child 0: fine; child 1: malformed, then fine on retry (sample 4); child 2: malformed twice (samples 2 and 5)
    const llm = scripted((i) => (i === 1 || i === 2 || i === 5 ? "I would add a rule about sums." : proposal(`Prompt from sample ${i}.`)));
    const out = await mutate(input(llm));
    expect(out.proposals.map((p) => [p.prompt, p.lineage.sampleIndex])).toEqual([
      ["Prompt from sample 0.", 0],
      ["Prompt from sample 4.", 4],
    ]);
    expect(out.malformed).toBe(1);
    expect(out.malformedReports).toEqual([
      {
        child: 2,
        problems: [
          { sampleIndex: 2, problem: "no JSON proposal found", answer: "I would add a rule about sums." },
          { sampleIndex: 5, problem: "no JSON proposal found", answer: "I would add a rule about sums." },
        ],
      },
    ]);
    expect(out.calls.calls).toBe(5);
  });

  it("drops empty proposals and duplicates of the parent, of existing prompts and of each other", async () => {
    const answers = [proposal("  "), proposal("you are the SOLVER."), proposal("Known prompt."), proposal("Fresh."), proposal("fresh.")];
    const llm = scripted((i) => answers[i] ?? "");
    const out = await mutate(input(llm, { children: 5, existingPrompts: ["known   prompt."] }));
    expect(out.proposals.map((p) => p.prompt)).toEqual(["Fresh."]);
    expect(out.dropped).toEqual({ empty: 1, duplicate: 3, overBudget: 0 });
  });

  it("reports the no-traces ablation in the result and in every lineage", async () => {
    const llm = scripted((i) => proposal(`Guess ${i}.`));
    const out = await mutate(input(llm, { noTraces: true, children: 1 }));
    expect(out.noTraces).toBe(true);
    expect(out.proposals[0]?.lineage).toMatchObject({ noTraces: true, traceIds: [] });
    expect(llm.calls[0]?.messages[1]?.content).not.toContain("Answer: 8");
  });

  it("refuses to mutate without traces unless the ablation is asked for, listing every problem", async () => {
    const llm = scripted(() => proposal("x"));
    const err = await mutate(input(llm, { traces: [], children: 0, temperature: -1 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(["temperature", "children"]);
    const err2 = await mutate(input(llm, { traces: [] })).catch((e: unknown) => e);
    expect((err2 as ValidationError).issues.map((i) => i.path)).toEqual(["traces"]);
    expect(llm.calls).toHaveLength(0);
  });

  it("asks again for a prompt over the length budget, then drops it as over budget — never cut to fit, never counted malformed", async () => {
    // budget 40: child 0 fits; child 1 is too long, then fits on retry (sample 4); child 2 is too long twice (samples 2 and 5)
    const long = `You are the solver. ${"Always check every sum twice. ".repeat(3)}`;
    const llm = scripted((i) => proposal(i === 1 || i === 2 || i === 5 ? long : `Short prompt ${i}.`));
    const out = await mutate(input(llm, { promptBudgetChars: 40 }));
    expect(llm.calls[0]?.messages[1]?.content).toContain("The new prompt must be at most 40 characters");
    expect(out.proposals.map((p) => [p.prompt, p.lineage.sampleIndex])).toEqual([
      ["Short prompt 0.", 0],
      ["Short prompt 4.", 4],
    ]);
    expect(out.malformed).toBe(0);
    expect(out.dropped.overBudget).toBe(1);
    expect(out.promptBudgetChars).toBe(40);
    expect(out.overBudgetReports).toEqual([
      {
        child: 2,
        problems: [2, 5].map((sampleIndex) => ({
          sampleIndex,
          problem: `the proposed prompt has ${long.trim().length} characters, over the budget of 40`,
          answer: expect.any(String) as unknown as string,
        })),
      },
    ]);
    expect(out.proposals.every((p) => p.prompt.length <= 40)).toBe(true);
  });

  it("defaults the budget to 4000 characters, or to the parent's own length when it is longer", async () => {
    const llm = scripted((i) => proposal(`P${i}`));
    expect((await mutate(input(llm, { children: 1 }))).promptBudgetChars).toBe(4000);
    expect((await mutate(input(llm, { children: 1, parent: "x".repeat(4500) }))).promptBudgetChars).toBe(4500);
  });
});

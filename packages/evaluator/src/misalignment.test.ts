import { DEFAULT_WEIGHTS, type MisalignmentCase, MisalignmentCaseSchema, promptVersion } from "@maspo/core";
import { executeGraph } from "@maspo/executor";
import { describe, expect, it } from "vitest";
import { evaluateCandidate } from "./evaluate-candidate.js";
import { countByCategory, findMisalignments, findTraceMisalignments, reasonSignature } from "./misalignment.js";
import { GOOD_PLANNER, TRAP_PLANNER, chainGraph, chainPrompts, minibatch, scoreFinal, scriptedChainLlm } from "./scripted-chain.fixture.js";

const evaluate = (candidate: string) =>
  evaluateCandidate({
    graph: chainGraph,
    agentId: "planner",
    candidate,
    reference: chainPrompts.planner,
    prompts: chainPrompts,
    minibatch,
    llm: scriptedChainLlm(),
    judgeModels: { local: "j", lookahead: "j", global: "j" },
    weights: DEFAULT_WEIGHTS,
    seed: 3,
    scoreFinal,
  });

describe("findMisalignments", () => {
  it("flags a trap prompt that wins locally and loses downstream, with the metadata the method asks for", async () => {
    const cases = findMisalignments(await evaluate(TRAP_PLANNER));
    expect(cases).toHaveLength(minibatch.length);
    const first = cases[0] as MisalignmentCase;
    expect(MisalignmentCaseSchema.parse(first)).toEqual(first);
    expect(first).toMatchObject({
      agentId: "planner",
      promptVersion: promptVersion(TRAP_PLANNER),
      exampleId: "e1",
      source: "evaluation",
      lostOn: "lookahead",
      strength: 1,
      traceExcerpt: { input: "What is 3 + 4?", output: "CONFIDENT: the answer is obvious.", downstream: "Answer: 0" },
    });
    expect(first.failureCaused).toContain("successor solver was judged worse");
    // the judge's "Response B" means nothing outside its call: the case says whose response it was
    expect(first.failureCaused).toContain("The reference's response reaches the correct total");
    expect(first.failureCaused).not.toMatch(/\bResponse [AB]\b/);
    expect(first.category).toBe("lookahead:reaches-correct-total");
    // the same failure on every example gets the same category
    expect(countByCategory(cases)).toEqual([{ category: "lookahead:reaches-correct-total", count: 3 }]);
  });

  it("does not flag a prompt that is better or no worse downstream", async () => {
    expect(findMisalignments(await evaluate(GOOD_PLANNER))).toEqual([]);
  });

  it("bounds the trace excerpt", async () => {
    const cases = findMisalignments(await evaluate(TRAP_PLANNER), { excerptChars: 12 });
    for (const c of cases) for (const v of Object.values(c.traceExcerpt)) expect(v.length).toBeLessThanOrEqual(12);
  });
});

describe("findTraceMisalignments", () => {
  it("finds agents that succeeded while the labelled system failed, naming a broken successor when there is one", async () => {
    const traces = await Promise.all(
      minibatch.map((example) =>
        executeGraph({
          graph: chainGraph,
          prompts: { ...chainPrompts, planner: TRAP_PLANNER },
          example,
          llm: scriptedChainLlm(),
          seed: 1,
          scoreFinal,
        }),
      ),
    );
    const cases = findTraceMisalignments({ graph: chainGraph, traces });
    // planner and solver both ran fine on every example, and every final answer was wrong
    expect(cases.map((c) => `${c.agentId}/${c.exampleId}`)).toEqual([
      "planner/e1",
      "solver/e1",
      "planner/e2",
      "solver/e2",
      "planner/e3",
      "solver/e3",
    ]);
    expect(cases.every((c) => c.category === "global:wrong-final-answer" && c.strength === 0.5 && c.source === "trace")).toBe(true);

    const judged = findTraceMisalignments({
      graph: chainGraph,
      traces,
      agentIds: ["planner"],
      localScores: { e1: { planner: 0.9 }, e2: { planner: 0.2 } },
    });
    expect(judged.map((c) => [c.exampleId, c.strength])).toEqual([
      ["e1", 0.9],
      ["e3", 0.5],
    ]);
  });

  it("ignores unlabelled and correct traces", async () => {
    const traces = await Promise.all(
      minibatch.map((example) =>
        executeGraph({ graph: chainGraph, prompts: chainPrompts, example, llm: scriptedChainLlm(), seed: 1, scoreFinal }),
      ),
    );
    expect(findTraceMisalignments({ graph: chainGraph, traces })).toEqual([]);
  });
});

describe("countByCategory and reasonSignature", () => {
  const mk = (id: string, agentId: string, strength: number, category: string): MisalignmentCase => ({
    id,
    agentId,
    promptVersion: "v",
    exampleId: id,
    source: "evaluation",
    lostOn: "global",
    traceExcerpt: { input: "", output: "", downstream: "" },
    failureCaused: "",
    category,
    strength,
  });

  it("counts cases by category, most frequent first", () => {
    const cases = [mk("1", "x", 1, "b"), mk("2", "x", 1, "a"), mk("3", "y", 1, "b")];
    expect(countByCategory(cases)).toEqual([
      { category: "b", count: 2 },
      { category: "a", count: 1 },
    ]);
  });

  it("derives a stable signature from a judge reason, ignoring which position it names", () => {
    expect(reasonSignature("Response A omits the intermediate steps the solver needs.")).toBe("omits-intermediate-steps-solver");
    expect(reasonSignature("Response B omits the intermediate steps the solver needs")).toBe("omits-intermediate-steps-solver");
    expect(reasonSignature("")).toBe("judged-worse");
  });
});

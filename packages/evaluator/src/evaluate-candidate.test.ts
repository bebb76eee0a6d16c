import { DEFAULT_WEIGHTS, ValidationError, deriveSeed } from "@maspo/core";
import { executeGraph } from "@maspo/executor";
import { describe, expect, it } from "vitest";
import { evaluateCandidate, type EvaluateCandidateInput } from "./evaluate-candidate.js";
import {
  GOOD_PLANNER,
  TRAP_PLANNER,
  chainGraph,
  chainPrompts,
  memoised,
  minibatch,
  scoreFinal,
  scriptedChainLlm,
} from "./scripted-chain.fixture.js";

const judgeModels = { local: "judge", lookahead: "judge", global: "judge" };

function input(over: Partial<EvaluateCandidateInput> = {}): EvaluateCandidateInput {
  return {
    graph: chainGraph,
    agentId: "planner",
    candidate: GOOD_PLANNER,
    reference: chainPrompts.planner,
    prompts: chainPrompts,
    minibatch,
    llm: scriptedChainLlm(),
    judgeModels,
    weights: DEFAULT_WEIGHTS,
    seed: 7,
    scoreFinal,
    ...over,
  };
}

describe("evaluateCandidate", () => {
  it("tells every judge question the run's task description, and gives the same verdicts with it", async () => {
    const taskDescription = { name: "sums", input: "A sum of small numbers.", output: "The line Final: <n>." };
    const llm = scriptedChainLlm();
    const ev = await evaluateCandidate(input({ candidate: TRAP_PLANNER, llm, taskDescription }));
    const judged = llm.calls.filter((c) => c.role === "evaluator");
    expect(judged.length).toBeGreaterThan(0);
    for (const c of judged) expect(c.messages[1]?.content).toContain("## Task description\nTask: sums\nInput: A sum of small numbers.");
    expect(
      llm.calls.filter((c) => c.role !== "evaluator").some((c) => c.messages.some((m) => m.content.includes("Task description"))),
    ).toBe(false);
    expect(ev.scores).toEqual({ local: 1, lookahead: 0, global: 0 });
  });

  it("scores a trap prompt high on local and low on lookahead and global", async () => {
    const ev = await evaluateCandidate(input({ candidate: TRAP_PLANNER }));
    expect(ev.scores).toEqual({ local: 1, lookahead: 0, global: 0 });
    expect(ev.reward).toBeCloseTo(0.25);
    expect(ev.joint).toBeCloseTo(-0.25);
    // labelled and the metric tells them apart: global is decided by the metric, not the judge
    expect(ev.examples.every((e) => e.global.method === "metric")).toBe(true);
  });

  it("scores a better prompt as a win on every lens", async () => {
    const ev = await evaluateCandidate(input());
    expect(ev.scores.local).toBe(1);
    // the solver gets it right under both plans (ties on lookahead, judge ties on global)
    expect(ev.scores.lookahead).toBe(0.5);
    expect(ev.scores.global).toBe(0.5);
    expect(ev.reward).toBeCloseTo(0.25 * 1 + 0.35 * 0.5 + 0.4 * 0.5);
  });

  it("re-executes only the evaluated agent and its descendants when the base traces are given", async () => {
    const setup = scriptedChainLlm();
    const baseTraces = await Promise.all(
      minibatch.map((example) => executeGraph({ graph: chainGraph, prompts: chainPrompts, example, llm: setup, seed: 7, scoreFinal })),
    );
    const llm = scriptedChainLlm();
    const ev = await evaluateCandidate(
      input({ agentId: "solver", candidate: "You are the solver. Compute carefully.", reference: chainPrompts.solver, baseTraces, llm }),
    );
    const served = llm.calls.filter((c) => c.role === "serving").map((c) => c.messages[0]?.content);
    expect(served.some((p) => p?.includes("planner"))).toBe(false);
    // the reference is the current best, so its run is the base trace: only the candidate's side is re-run
    expect(served).toHaveLength(2 * minibatch.length);
    expect(ev.examples.every((e) => e.candidateTrace.executed.join() === "solver,formatter")).toBe(true);
    expect(ev.calls.serving.calls).toBe(2 * minibatch.length);
  });

  it("moves the lookahead weight to global for an agent without successors", async () => {
    const ev = await evaluateCandidate(
      input({ agentId: "formatter", candidate: "You are the formatter. Be brief.", reference: chainPrompts.formatter }),
    );
    expect(ev.scores.lookahead).toBeNull();
    expect(ev.examples.every((e) => e.lookahead === null)).toBe(true);
    expect(ev.weights.lookahead).toBe(0);
    expect(ev.weights.global).toBeCloseTo(0.75);
  });

  it("survives a malformed judge verdict, counts it as a tie and reports it", async () => {
    const llm = scriptedChainLlm({
      judgeOverride: (req) =>
        (req.messages[0]?.content ?? "").includes("Local Validity") ? "I prefer the first one, honestly." : undefined,
    });
    const ev = await evaluateCandidate(input({ candidate: TRAP_PLANNER, llm }));
    expect(ev.scores.local).toBe(0.5);
    expect(ev.malformedVerdicts).toBe(2 * minibatch.length);
    expect(ev.malformedReports).toHaveLength(2 * minibatch.length);
    expect(ev.malformedReports[0]).toMatchObject({ lens: "local", agentId: "planner", exampleId: "e1" });
    // each malformed order was asked again under the next sample index
    const localCalls = llm.calls.filter((c) => (c.messages[0]?.content ?? "").includes("Local Validity"));
    expect(localCalls.map((c) => c.sampleIndex).sort()).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  });

  it("gives the same result whatever order the calls complete in", async () => {
    const inOrder = await evaluateCandidate(input({ candidate: TRAP_PLANNER }));
    const shuffled = await evaluateCandidate(
      input({
        candidate: TRAP_PLANNER,
        llm: scriptedChainLlm({ delayMs: (req) => deriveSeed(JSON.stringify(req.messages)) % 15 }),
      }),
    );
    const strip = (e: typeof inOrder) => JSON.stringify(e, (k, v: unknown) => (k === "latencyMs" ? 0 : v));
    expect(strip(shuffled)).toBe(strip(inOrder));
  });

  it("costs zero new calls when the same evaluation is repeated through the response cache", async () => {
    const llm = memoised(scriptedChainLlm());
    const first = await evaluateCandidate(input({ candidate: TRAP_PLANNER, llm }));
    const missesAfterFirst = llm.misses;
    const second = await evaluateCandidate(input({ candidate: TRAP_PLANNER, llm }));
    expect(llm.misses).toBe(missesAfterFirst);
    expect(second.calls.judge.cached).toBe(second.calls.judge.calls);
    expect(second.calls.serving.cached).toBe(second.calls.serving.calls);
    expect(second.reward).toBe(first.reward);
  });

  it("scores only the global lens under the globalOnly ablation, and says so", async () => {
    const llm = scriptedChainLlm();
    const ev = await evaluateCandidate(input({ candidate: TRAP_PLANNER, llm, ablations: { globalOnly: true } }));
    expect(ev.ablations).toEqual({ globalOnly: true });
    expect(ev.scores).toEqual({ local: null, lookahead: null, global: 0 });
    expect(ev.weights).toEqual({ local: 0, lookahead: 0, global: 1 });
    expect(llm.calls.filter((c) => c.role === "evaluator")).toHaveLength(0);
  });

  it("scores a candidate identical to its reference at exactly zero", async () => {
    const ev = await evaluateCandidate(input({ candidate: chainPrompts.planner }));
    expect(ev.joint).toBe(0);
    expect(ev.calls.judge.calls).toBe(0);
  });

  it("lets a failing candidate step lose without asking the judge", async () => {
    const base = scriptedChainLlm();
    const llm = {
      calls: base.calls,
      async complete(req: Parameters<typeof base.complete>[0]) {
        if ((req.messages[0]?.content ?? "").includes("BROKEN"))
          return { content: "", finishReason: "stop", usage: { promptTokens: 1, completionTokens: 0 }, cached: false };
        return base.complete(req);
      },
    };
    const ev = await evaluateCandidate(input({ candidate: "You are the planner. BROKEN.", llm }));
    expect(ev.examples.every((e) => e.local?.method === "failure" && e.local.score === 0)).toBe(true);
    expect(ev.examples[0]?.local?.note).toBe("candidate step empty");
  });

  it("calls two final answers that both fail the task metric a tie, without asking a judge that would prefer one", async () => {
    // A judge swayed by surface prefers a non-answer (nothing checkably wrong) over a wrong number.
    const base = scriptedChainLlm({
      judgeOverride: (req) => {
        if (!(req.messages[0]?.content ?? "").includes("Global Alignment")) return undefined;
        const user = req.messages[1]?.content ?? "";
        const a = user.split("## Response A\n")[1]?.split("\n\n")[0] ?? "";
        return JSON.stringify({ winner: a.includes("could not") ? "A" : "B", reason: "it claims nothing false" });
      },
    });
    const llm = {
      calls: base.calls,
      async complete(req: Parameters<typeof base.complete>[0]) {
        const system = req.messages[0]?.content ?? "";
        if (req.role === "serving" && system.includes("NONANSWER"))
          return {
            content: "I could not find the total.",
            finishReason: "stop",
            usage: { promptTokens: 1, completionTokens: 1 },
            cached: false,
          };
        if (req.role === "serving" && system.includes("WRONG"))
          return { content: "Final: 999", finishReason: "stop", usage: { promptTokens: 1, completionTokens: 1 }, cached: false };
        return base.complete(req);
      },
    };
    const formatter = { agentId: "formatter", candidate: "You are the formatter. NONANSWER", reference: "You are the formatter. WRONG" };
    const prompts = { ...chainPrompts, formatter: formatter.reference };
    const labelled = await evaluateCandidate(input({ ...formatter, prompts, llm }));
    expect(labelled.examples.map((e) => [e.global.method, e.global.score])).toEqual(minibatch.map(() => ["metric", 0.5]));
    expect(labelled.examples[0]?.global.note).toMatch(/both final answers fail the task metric/);
    expect(base.calls.some((c) => (c.messages[0]?.content ?? "").includes("Global Alignment"))).toBe(false);
    // Without labels the judge decides, and it would have handed the non-answer the win.
    const unlabelled = await evaluateCandidate(input({ ...formatter, prompts, llm, minibatch: minibatch.map(({ label: _l, ...e }) => e) }));
    expect(unlabelled.scores.global).toBe(1);
  });

  it("still lets a final step that broke lose to a wrong answer when both fail the task metric", async () => {
    const base = scriptedChainLlm();
    const llm = {
      calls: base.calls,
      async complete(req: Parameters<typeof base.complete>[0]) {
        const system = req.messages[0]?.content ?? "";
        if (req.role === "serving" && system.includes("BROKEN"))
          return { content: "", finishReason: "stop", usage: { promptTokens: 1, completionTokens: 0 }, cached: false };
        if (req.role === "serving" && system.includes("WRONG"))
          return { content: "Final: 999", finishReason: "stop", usage: { promptTokens: 1, completionTokens: 1 }, cached: false };
        return base.complete(req);
      },
    };
    const reference = "You are the formatter. WRONG";
    const ev = await evaluateCandidate(
      input({
        agentId: "formatter",
        candidate: "You are the formatter. BROKEN",
        reference,
        prompts: { ...chainPrompts, formatter: reference },
        llm,
      }),
    );
    expect(ev.examples.map((e) => [e.global.method, e.global.score])).toEqual(minibatch.map(() => ["failure", 0]));
  });

  it("without labels, a task's answer contract decides the global lens against a final output that states no answer", async () => {
    const unlabelled = minibatch.map(({ label: _label, ...e }) => e);
    // the trap starves the solver: its finals are "Final: 0"; the contract reads only a positive answer
    const hasAnswer = (o: string) => /Final: [1-9]/.test(o);
    const ev = await evaluateCandidate(input({ candidate: TRAP_PLANNER, minibatch: unlabelled, hasAnswer }));
    expect(ev.examples.map((e) => [e.global.method, e.global.score])).toEqual(unlabelled.map(() => ["metric", 0]));
    expect(ev.examples[0]?.global.note).toMatch(/answer contract: only the reference states an answer/);
    // without a contract the same comparison goes to the judge
    const judged = await evaluateCandidate(input({ candidate: TRAP_PLANNER, minibatch: unlabelled }));
    expect(judged.examples.every((e) => e.global.method === "judge")).toBe(true);
    // a labelled example is decided by its label, never by the contract
    const labelled = await evaluateCandidate(input({ candidate: TRAP_PLANNER, hasAnswer: () => false }));
    expect(labelled.examples.map((e) => e.global.note)).toEqual(minibatch.map(() => "task metric 0 (candidate) vs 1 (reference)"));
  });

  it("rejects a bad request listing every problem at once", async () => {
    const bad = input({
      agentId: "nobody",
      prompts: { planner: "p" },
      minibatch: [],
      weights: { local: -1, lookahead: 0, global: 0 },
    });
    const err = await evaluateCandidate(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const paths = (err as ValidationError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["minibatch", "weights.local"]));

    const err2 = await evaluateCandidate(input({ agentId: "nobody", prompts: { planner: "p" } })).catch((e: unknown) => e);
    expect((err2 as ValidationError).issues.map((i) => i.path)).toEqual(["agentId", "prompts.solver", "prompts.formatter"]);
  });
});

import {
  DEFAULT_WEIGHTS,
  type EvaluateRequest,
  type Example,
  type LlmCallRequest,
  type WorkerContext,
  foldEvaluationShards,
  shardEvaluateRequest,
} from "@maspo/core";
import { executeGraph } from "@maspo/executor";
import { describe, expect, it } from "vitest";
import { evaluateShardTask, evaluateTask } from "./task.js";
import {
  GOOD_PLANNER,
  TRAP_PLANNER,
  chainGraph,
  chainPrompts,
  scoreFinal,
  scriptedChainLlm,
  type ScriptedLlm,
} from "./scripted-chain.fixture.js";

const judgeModels = { local: "judge", lookahead: "judge", global: "judge" };

/** Five examples, one unlabelled: shards of 1, 2 and 3 do not divide it evenly, and one has no task metric. */
const examples: Example[] = [
  { id: "e1", input: "What is 3 + 4?", label: "7" },
  { id: "e2", input: "What is 10 + 5?", label: "15" },
  { id: "e3", input: "What is 2 + 9?" },
  { id: "e4", input: "What is 6 + 6?", label: "12" },
  { id: "e5", input: "What is 1 + 8?", label: "9" },
];

const contextOf = (llm: ScriptedLlm): WorkerContext => ({
  graph: chainGraph,
  llm,
  seed: 7,
  judgeModels,
  optimizer: { model: "judge", temperature: 0.7 },
  scoreFinal,
});

async function requestFor(over: Partial<EvaluateRequest>): Promise<EvaluateRequest> {
  const setup = scriptedChainLlm();
  const baseTraces = await Promise.all(
    examples.map((example) => executeGraph({ graph: chainGraph, prompts: chainPrompts, example, llm: setup, seed: 7, scoreFinal })),
  );
  return {
    agentId: "planner",
    candidate: TRAP_PLANNER,
    reference: chainPrompts.planner,
    prompts: chainPrompts,
    minibatch: examples,
    baseTraces,
    weights: DEFAULT_WEIGHTS,
    lookahead: true,
    ...over,
  };
}

/** The requests an LLM was sent, as a sorted list: the same multiset whatever the completion order. */
const sentRequests = (calls: readonly LlmCallRequest[]): string[] => calls.map(({ signal: _signal, ...req }) => JSON.stringify(req)).sort();

const cases: [string, Partial<EvaluateRequest>][] = [
  ["a trap prompt (misalignment cases on every example)", {}],
  ["a better prompt (judged ties on lookahead and global)", { candidate: GOOD_PLANNER }],
  [
    "an agent without successors (no lookahead)",
    { agentId: "formatter", candidate: "You are the formatter. Be brief.", reference: chainPrompts.formatter },
  ],
  ["the global-only ablation (local and lookahead not measured)", { weights: { local: 0, lookahead: 0, global: 1 }, lookahead: false }],
];

describe("evaluation shards", () => {
  for (const [what, over] of cases) {
    it(`fold into exactly the whole-minibatch evaluation, with the same LLM requests sent: ${what}`, async () => {
      const req = await requestFor(over);
      const wholeLlm = scriptedChainLlm();
      const whole = await evaluateTask(contextOf(wholeLlm), req);
      for (const size of [1, 2, 3]) {
        const shardLlm = scriptedChainLlm();
        const shards = shardEvaluateRequest(req, size);
        expect(shards).toHaveLength(Math.ceil(examples.length / size));
        const folded = foldEvaluationShards(await Promise.all(shards.map((s) => evaluateShardTask(contextOf(shardLlm), s))));
        // Bit for bit: the JSON of a double is its shortest exact representation.
        expect(JSON.stringify(folded)).toBe(JSON.stringify(whole));
        expect(folded).toStrictEqual(whole);
        expect(sentRequests(shardLlm.calls)).toEqual(sentRequests(wholeLlm.calls));
      }
    });
  }

  it("the folded evaluation carries what the shards found: a case per example in minibatch order, the final metric over the labelled ones", async () => {
    const req = await requestFor({});
    const folded = foldEvaluationShards(
      await Promise.all(shardEvaluateRequest(req, 2).map((s) => evaluateShardTask(contextOf(scriptedChainLlm()), s))),
    );
    // the trap wins locally and loses downstream on every example, the unlabelled one by the judge
    expect(folded.cases.map((c) => c.exampleId)).toEqual(["e1", "e2", "e3", "e4", "e5"]);
    // the solver, starved, is wrong on every labelled example (e3 has no task metric)
    expect(folded.finalMetric).toBe(0);
    expect(folded.finalsCompared).toBe(true);
    expect(folded.lenses.local).toBe(1);
  });
});

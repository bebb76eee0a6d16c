import { describe, expect, it } from "vitest";
import { MaspoError } from "../errors.js";
import { type EvaluationShard, foldEvaluationShards, shardEvaluateRequest } from "./evaluation-shards.js";
import type { EvaluateRequest } from "./worker-requests.js";
import type { Trace } from "./trace.js";

const traceOf = (exampleId: string): Trace => ({ exampleId, steps: {}, executed: [], finalAgent: "a", finalOutput: "" });
const ids = ["e1", "e2", "e3", "e4", "e5"];
const request: EvaluateRequest = {
  agentId: "a",
  candidate: "new",
  reference: "old",
  prompts: { a: "old" },
  minibatch: ids.map((id) => ({ id, input: id })),
  baseTraces: ids.map(traceOf),
  weights: { local: 0.25, lookahead: 0.35, global: 0.4 },
  lookahead: true,
};

describe("shardEvaluateRequest", () => {
  it("splits the minibatch into consecutive shards, each with the base traces of its own examples", () => {
    const shards = shardEvaluateRequest(request, 2);
    expect(shards.map((s) => s.minibatch.map((e) => e.id))).toEqual([["e1", "e2"], ["e3", "e4"], ["e5"]]);
    expect(shards.map((s) => s.baseTraces.map((t) => t.exampleId))).toEqual([["e1", "e2"], ["e3", "e4"], ["e5"]]);
    expect(shards.every((s) => s.candidate === "new" && s.reference === "old" && s.lookahead)).toBe(true);
  });

  it("keeps a minibatch that fits in one shard as the very same request", () => {
    expect(shardEvaluateRequest(request, 5)).toEqual([request]);
    expect(shardEvaluateRequest(request, 50)[0]).toBe(request);
  });

  it("refuses a shard size that is not a whole number ≥ 1, naming the spec field", () => {
    for (const size of [0, -1, 1.5]) {
      expect(() => shardEvaluateRequest(request, size)).toThrow(/concurrency\.evaluationShardSize/);
      try {
        shardEvaluateRequest(request, size);
      } catch (err) {
        expect(err instanceof MaspoError && err.code).toBe("E_VALIDATION");
      }
    }
  });
});

describe("foldEvaluationShards", () => {
  const shard = (examples: EvaluationShard["examples"], malformedVerdicts = 0): EvaluationShard => ({
    examples,
    cases: [],
    malformedVerdicts,
  });
  const ex = (exampleId: string, reward: number, over: Partial<EvaluationShard["examples"][number]> = {}) => ({
    exampleId,
    reward,
    local: reward,
    lookahead: null,
    global: reward,
    finalCompared: false,
    ...over,
  });

  it("takes every mean over the examples in minibatch order, not as a mean of the shards' means", () => {
    // 0.1, 0.2, 0.3 summed left to right is not 0.6 in floating point; a mean of means would differ too
    const folded = foldEvaluationShards([shard([ex("e1", 0.1), ex("e2", 0.2)]), shard([ex("e3", 0.3)])]);
    expect(folded.R).toBe((0.1 + 0.2 + 0.3) / 3);
    expect(folded.R).not.toBe(((0.1 + 0.2) / 2 + 0.3) / 2);
    expect(folded.lenses.global).toBe((0.1 + 0.2 + 0.3) / 3);
  });

  it("reports an unmeasured lens as the protocol does (local a tie, lookahead null), the final metric over labelled examples only", () => {
    const folded = foldEvaluationShards([
      shard([ex("e1", 1, { local: null, finalScore: 1 })], 1),
      shard([ex("e2", 0, { local: null, finalCompared: true })], 2),
    ]);
    expect(folded.lenses).toEqual({ local: 0.5, lookahead: null, global: 0.5 });
    expect(folded.finalMetric).toBe(1);
    expect(folded.finalsCompared).toBe(true);
    expect(folded.malformedVerdicts).toBe(3);
  });
});

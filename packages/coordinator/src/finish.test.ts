import { describe, expect, it } from "vitest";
import type { EngineWorkers, Evaluation, Example, RunGraphRequest, Trace } from "@maspo/core";
import { finish } from "./finish.js";
import type { RunState } from "./run-state.js";

const INITIAL = { a: "a0", b: "b0" };
const FINAL = { a: "a1", b: "b1" };
const example = (id: string): Example => ({ id, input: `q ${id}`, label: "1" });

/** Workers that answer nothing until `release()`: what is asked before then was asked without waiting for any answer. */
function heldWorkers() {
  const asked: string[] = [];
  const held: (() => void)[] = [];
  const hold = <T>(what: string, answer: T): Promise<T> => {
    asked.push(what);
    return new Promise((resolve) => held.push(() => resolve(answer)));
  };
  const workers = {
    runGraph: (r: RunGraphRequest) =>
      hold<Trace>(`run ${r.prompts["a"]}/${r.prompts["b"]} ${r.example.id}`, {
        exampleId: r.example.id,
        steps: {
          a: { status: "ok", output: "x" },
          b: { status: "ok", output: "y" },
        },
        executed: ["a", "b"],
        finalAgent: "b",
        finalOutput: "y",
        finalScore: r.prompts["b"] === FINAL.b ? 1 : 0,
      } as unknown as Trace),
    evaluate: (r: { agentId: string }) =>
      hold<Evaluation>(`evaluate ${r.agentId}`, {
        R: 0.6,
        lenses: { local: 0.7, lookahead: r.agentId === "a" ? 0.6 : null, global: 0.8 },
        finalMetric: 1,
        cases: [],
        malformedVerdicts: 0,
      }),
    mutate: () => Promise.reject(new Error("the finish mutates nothing")),
    compareFinals: () => Promise.reject(new Error("a task-metric finish compares no finals")),
    usage: () => ({ calls: 0, tokens: 0, usd: 0, cacheHits: 0 }),
  } as unknown as EngineWorkers;
  const release = async (): Promise<void> => {
    for (const r of held.splice(0)) r();
    await new Promise((r) => setImmediate(r));
  };
  return { workers, asked, release };
}

describe("finish", () => {
  it("keeps its independent parts in flight at once: both held-out runs, the per-agent minibatch and the buffer cases, then every agent's delta", async () => {
    const { workers, asked, release } = heldWorkers();
    const state = {
      buffer: [{ id: "c1", agentId: "a", exampleId: "t3", category: "x", strength: 1, round: 1 }],
    } as unknown as RunState;
    const done = finish(
      {
        graph: {
          agents: [
            { id: "a", role: "a", predecessors: [], model: "m" },
            { id: "b", role: "b", predecessors: ["a"], model: "m" },
          ],
          final: "b",
        },
        initialPrompts: INITIAL,
        finalPrompts: FINAL,
        train: ["t1", "t2", "t3"].map(example),
        heldOut: ["h1", "h2"].map(example),
        state,
        seed: 1,
        minibatchSize: 3,
        weights: { local: 1, lookahead: 1, global: 1 },
      },
      workers,
    );
    await new Promise((r) => setImmediate(r));
    // Nothing answered yet, and every run that needs no answer is asked: 2 + 2 held-out, 3 minibatch, 1 case.
    expect([...asked].sort()).toEqual(
      [
        "run a0/b0 h1",
        "run a0/b0 h2",
        "run a1/b1 h1",
        "run a1/b1 h2",
        "run a1/b1 t1",
        "run a1/b1 t2",
        "run a1/b1 t3",
        "run a1/b1 t3",
      ].sort(),
    );
    await release();
    // The minibatch is in: both agents' deltas are asked at once.
    expect(asked.slice(8).sort()).toEqual(["evaluate a", "evaluate b"]);
    await release();
    const result = await done;
    expect(result.heldOut).toMatchObject({ baseline: 0, final: 1, examples: 2 });
    expect(Object.keys(result.perAgent)).toEqual(["a", "b"]);
    expect(result.perAgent["a"]?.local).toBeCloseTo(0.2);
    expect(result.perAgent["b"]?.lookahead).toBeNull();
    expect(result.unrepaired).toMatchObject([{ caseId: "c1", exampleId: "t3", finalScore: 1 }]);
  });
});

import type { AgentGraph, Example, Trace } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { heldOutFailures, statesLabel } from "./held-out-failures.js";

const graph: AgentGraph = {
  final: "formatter",
  agents: [
    { id: "planner", role: "planner", predecessors: [], model: "m" },
    { id: "solver", role: "solver", predecessors: ["planner"], model: "m" },
    { id: "formatter", role: "formatter", predecessors: ["solver"], model: "m" },
  ],
};

function trace(id: string, outputs: [string, string, string], finalScore: number, status: "ok" | "empty" = "ok"): Trace {
  const ids = ["planner", "solver", "formatter"];
  return {
    exampleId: id,
    steps: Object.fromEntries(
      ids.map((a, i) => [
        a,
        {
          agentId: a,
          prompt: "p",
          context: "c",
          output: outputs[i] as string,
          status: a === "solver" ? status : "ok",
          usage: { promptTokens: 1, completionTokens: 1 },
          cached: false,
          latencyMs: 0,
        },
      ]),
    ),
    executed: ids,
    finalAgent: "formatter",
    finalOutput: outputs[2],
    finalScore,
  };
}

describe("held-out failure modes", () => {
  const examples: Example[] = ["a", "b", "c", "d", "e", "f"].map((id) => ({ id, input: `q ${id}`, label: "42" }));
  const traces = [
    trace("a", ["plan", "Result: 42", "Answer: 42"], 1), // passes
    trace("b", ["plan", "Result: 42", "Answer: 41"], 0), // solver had it, formatter dropped it
    trace("c", ["plan", "Result: 7", "Answer: 7"], 0), // nobody computed it
    trace("d", ["plan", "", "Answer: 0"], 0, "empty"), // solver gave nothing
    trace("e", ["plan", "Result: 42", "The answer is 42 apples"], 0), // right number, wrong form
    trace("f", ["plan", "Result: 420", "Answer: 420"], 0), // 420 is not 42
  ];
  const scores = traces.map((t) => t.finalScore ?? null);

  it("puts every failing example in exactly one mode, naming the agent and lens its trace points at", () => {
    const f = heldOutFailures(graph, examples, traces, scores, [1, 1, 0, 0, 0, 0], 1);
    expect(f.failed).toBe(5);
    expect(f.regressed).toBe(1);
    expect(f.modes.reduce((n, m) => n + m.count, 0)).toBe(f.failed);
    const byExample = Object.fromEntries(f.modes.flatMap((m) => m.examples.map((e) => [e, [m.agent, m.lens, m.kind]])));
    expect(byExample).toEqual({
      b: ["formatter", "local", "lost-downstream"],
      c: [null, "global", "never-right"],
      d: ["solver", "local", "no-output"],
      e: ["formatter", "local", "form"],
      f: [null, "global", "never-right"],
    });
    expect(f.stepFailures).toEqual({ planner: 0, solver: 1, formatter: 0 });
  });

  it("reads a label as a whole token: 42 is not in 420 or 4.2, but is in 'Answer: 42.'", () => {
    expect(statesLabel("Answer: 42.", "42")).toBe(true);
    expect(statesLabel("Result: 420", "42")).toBe(false);
    expect(statesLabel("42.5", "42")).toBe(false);
    expect(statesLabel("x=142", "42")).toBe(false);
  });

  it("without labels a failure is a judged loss to the baseline, on the global lens", () => {
    const unlabelled = examples.map(({ label: _l, ...e }) => e);
    const f = heldOutFailures(graph, unlabelled, traces, [1, 0, 0.5, 0.25, 1, 0], [null, null, null, null, null, null], 0.5);
    expect(f.failed).toBe(3);
    expect(f.modes.map((m) => [m.kind, m.count])).toEqual([
      ["judged-worse", 2],
      ["no-output", 1],
    ]);
  });
});

import { type LlmCallRequest, type WorkerContext, buildAgentUserMessage } from "@maspo/core";
import type { AgentStep, Trace } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { mutateTask } from "./task.js";

const step = (agentId: string, prompt: string, context: string, output: string): AgentStep => ({
  agentId,
  prompt,
  context,
  output,
  status: "ok",
  usage: { promptTokens: 1, completionTokens: 1 },
  cached: false,
  latencyMs: 0,
});

const trace: Trace = {
  exampleId: "e1",
  steps: {
    solver: step("solver", "You are the solver.", buildAgentUserMessage("What is 3 + 4?", []), "8"),
    formatter: step(
      "formatter",
      "You are the formatter. Write Answer: <n>.",
      buildAgentUserMessage("What is 3 + 4?", [{ agentId: "solver", output: "8" }]),
      "Answer: 8",
    ),
  },
  executed: ["solver", "formatter"],
  finalAgent: "formatter",
  finalOutput: "Answer: 8",
  finalScore: 0,
  label: "7",
};

function context(): WorkerContext & { calls: LlmCallRequest[] } {
  const calls: LlmCallRequest[] = [];
  return {
    calls,
    graph: {
      final: "formatter",
      agents: [
        { id: "solver", role: "solver", predecessors: [], model: "m" },
        { id: "formatter", role: "answer formatter", predecessors: ["solver"], model: "m" },
      ],
    },
    llm: {
      async complete(req) {
        calls.push(req);
        return {
          content: JSON.stringify({ analysis: "a", modification: "m", prompt: "You are the solver. Add exactly." }),
          finishReason: "stop",
          usage: { promptTokens: 1, completionTokens: 1 },
          cached: false,
        };
      },
    },
    seed: 1,
    judgeModels: { local: "j", lookahead: "j", global: "j" },
    optimizer: { model: "opt", temperature: 0.7 },
    task: { name: "sums", input: "A sum in words.", output: "The line Answer: <n>." },
  };
}

/** A mutate request of the worker protocol for one agent, one child, on the trace above. */
const request = (agentId: string, parent: string) => ({
  agentId,
  parent,
  operator: "add_constraint",
  traces: [trace],
  hardNegatives: [],
  children: 1,
  existingPrompts: [],
  seed: 3,
  noTraces: false,
});

describe("mutateTask", () => {
  it("tells the optimizer the run's task, who receives the agent's output from the graph, and a failing trace's correct answer", async () => {
    const ctx = context();
    const proposals = await mutateTask(ctx, request("solver", "You are the solver."));
    expect(proposals.map((p) => p.prompt)).toEqual(["You are the solver. Add exactly."]);
    const user = ctx.calls[0]?.messages[1]?.content ?? "";
    expect(user).toContain("## Task description\nTask: sums\nInput: A sum in words.\nFinal answer: The line Answer: <n>.");
    expect(user).toContain("- formatter — answer formatter; its prompt asks: You are the formatter. Write Answer: <n>.");
    expect(user).toContain("Correct answer: 7");

    const final = context();
    await mutateTask(final, request("formatter", "You are the formatter."));
    expect(final.calls[0]?.messages[1]?.content).toContain("## Successors\nNone: this agent's output is the system's final answer.");
  });

  it("states the spec's length budget when it sets one (optimizer.promptBudgetChars), else the default", async () => {
    const ctx = context();
    await mutateTask(ctx, request("solver", "You are the solver."));
    expect(ctx.calls[0]?.messages[1]?.content).toContain("The new prompt must be at most 4000 characters");
    const set = { ...context(), optimizer: { model: "opt", temperature: 0.7, promptBudgetChars: 30 } };
    const proposals = await mutateTask(set, request("solver", "You are the solver."));
    expect(set.calls[0]?.messages[1]?.content).toContain("The new prompt must be at most 30 characters");
    // "You are the solver. Add exactly." is 32 characters: over the budget on every attempt, so dropped
    expect(proposals).toEqual([]);
  });
});

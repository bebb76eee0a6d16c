import type { AgentGraph, LlmCallRequest, LlmCaller } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { executeGraph } from "./execute-graph.js";

// A diamond: manager → {a, b} → aggregator.
const graph: AgentGraph = {
  final: "agg",
  agents: [
    { id: "manager", role: "manager", predecessors: [], model: "m" },
    { id: "a", role: "analyst A", predecessors: ["manager"], model: "m" },
    { id: "b", role: "analyst B", predecessors: ["manager"], model: "m" },
    { id: "agg", role: "aggregator", predecessors: ["b", "a"], model: "m" },
  ],
};
const prompts = { manager: "P-manager", a: "P-a", b: "P-b", agg: "P-agg" };
const example = { id: "ex1", input: "What is 2+3?", label: "5" };

/** Echoes which prompt answered and what it saw, and records every call. */
function recordingLlm(fail?: string): LlmCaller & { calls: LlmCallRequest[] } {
  const calls: LlmCallRequest[] = [];
  return {
    calls,
    async complete(req) {
      calls.push(req);
      const prompt = req.messages[0]?.content ?? "";
      if (prompt === fail) throw Object.assign(new Error("upstream 500 after retries"), { code: "E_LLM_EXHAUSTED" });
      const seen = (req.messages[1]?.content ?? "").match(/## Output of (\w+)/g) ?? [];
      return {
        content: `${prompt} saw [${seen.map((s) => s.slice(13)).join(",")}]`,
        finishReason: "stop",
        usage: { promptTokens: 10, completionTokens: 5 },
        cached: false,
      };
    },
  };
}

describe("executeGraph", () => {
  it("runs agents in topological order, each seeing the task and exactly its declared predecessors in order", async () => {
    const llm = recordingLlm();
    const trace = await executeGraph({ graph, prompts, example, llm, seed: 1 });
    expect(trace.executed).toEqual(["manager", "a", "b", "agg"]);
    expect(trace.steps.manager?.output).toBe("P-manager saw []");
    expect(trace.steps.a?.output).toBe("P-a saw [manager]");
    expect(trace.steps.agg?.output).toBe("P-agg saw [b,a]");
    expect(trace.steps.agg?.context).toContain("## Task\nWhat is 2+3?");
    expect(trace.finalOutput).toBe("P-agg saw [b,a]");
    for (const c of llm.calls) expect(c).toMatchObject({ role: "serving", temperature: 0, seed: 1, endpointId: "m" });
  });

  it("re-runs only the changed agent and its descendants when started mid-graph", async () => {
    const base = await executeGraph({ graph, prompts, example, llm: recordingLlm(), seed: 1 });
    const llm = recordingLlm();
    const trace = await executeGraph({
      graph,
      prompts: { ...prompts, a: "P-a2" },
      example,
      llm,
      seed: 1,
      base,
      rerunFrom: "a",
    });
    expect(trace.executed).toEqual(["a", "agg"]);
    expect(llm.calls.map((c) => c.messages[0]?.content)).toEqual(["P-a2", "P-agg"]);
    expect(trace.steps.manager).toEqual(base.steps.manager);
    expect(trace.steps.b).toEqual(base.steps.b);
    expect(trace.steps.a?.output).toBe("P-a2 saw [manager]");
  });

  it("records an agent's LLM failure in the trace and carries on downstream", async () => {
    const trace = await executeGraph({ graph, prompts, example, llm: recordingLlm("P-b"), seed: 1 });
    expect(trace.steps.b?.status).toBe("error");
    expect(trace.steps.b?.error).toEqual({ code: "E_LLM_EXHAUSTED", message: "upstream 500 after retries" });
    expect(trace.steps.agg?.status).toBe("ok");
    expect(trace.executed).toHaveLength(4);
  });

  it("scores every final output the task metric applies to, and records no score where it says it does not", async () => {
    // A label metric does not apply to an unlabelled example: it answers undefined.
    const scoreFinal = (out: string, ex: { label?: string }) => (ex.label === undefined ? undefined : out.includes(ex.label) ? 1 : 0);
    const labelled = await executeGraph({ graph, prompts, example, llm: recordingLlm(), seed: 1, scoreFinal });
    expect(labelled.finalScore).toBe(0);
    const unlabelled = await executeGraph({
      graph,
      prompts,
      example: { id: "u", input: "x" },
      llm: recordingLlm(),
      seed: 1,
      scoreFinal,
    });
    expect(unlabelled.finalScore).toBeUndefined();
  });

  it("awaits a metric that runs something, and scores an unlabelled example by its fields (code against its tests)", async () => {
    const scoreFinal = async (_out: string, ex: { fields?: Record<string, unknown> }) => {
      await new Promise((r) => setTimeout(r, 1));
      return Array.isArray(ex.fields?.["tests"]) ? 0.5 : undefined;
    };
    const trace = await executeGraph({
      graph,
      prompts,
      example: { id: "c", input: "Write f.", fields: { tests: ["assert f() == 1", "assert f(2) == 2"] } },
      llm: recordingLlm(),
      seed: 1,
      scoreFinal,
    });
    expect(trace.finalScore).toBe(0.5);
  });

  it("fails the run of the graph when the metric throws, rather than scoring the example", async () => {
    const scoreFinal = () => Promise.reject(new Error('metric threw on example "e1"'));
    await expect(executeGraph({ graph, prompts, example, llm: recordingLlm(), seed: 1, scoreFinal })).rejects.toThrow(/example "e1"/);
  });

  it("marks empty outputs and refusals", async () => {
    const llm: LlmCaller = {
      async complete(req) {
        const p = req.messages[0]?.content;
        const content = p === "P-a" ? "   " : p === "P-b" ? "I'm sorry, I can't help with that." : "fine";
        return { content, finishReason: "stop", usage: { promptTokens: 1, completionTokens: 1 }, cached: false };
      },
    };
    const trace = await executeGraph({ graph, prompts, example, llm, seed: 1 });
    expect(trace.steps.a?.status).toBe("empty");
    expect(trace.steps.b?.status).toBe("refusal");
  });
});

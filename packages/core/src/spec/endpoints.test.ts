import { describe, expect, it } from "vitest";
import { evaluationModelsOf, listModelEndpoints, servingModelOf, simlmWorldOf, usedEndpointIds } from "./endpoints.js";
import { initialPromptTexts } from "./initial-prompts.js";
import { type RunSpec, RunSpecSchema } from "./schema.js";
import { agentGraphOf } from "./spec-graph.js";

const price = { inputPerMTok: 0, outputPerMTok: 0 };
const spec: RunSpec = RunSpecSchema.parse({
  task: { name: "t", input: { description: "i" }, output: { description: "o" }, metric: { kind: "judge" } },
  models: {
    sim: { baseURL: "simlm://math-chain", model: "s", price },
    big: { baseURL: "https://api.example.com/v1", model: "b", apiKeyEnv: "BIG_KEY", price, concurrency: 2 },
    idle: { baseURL: "simlm://x", model: "i", price },
  },
  graph: {
    topology: "sequential",
    final: "b",
    agents: [
      { id: "a", role: "planner" },
      { id: "b", role: "solver", predecessors: ["a"], model: "big" },
    ],
  },
  serving: { default: "sim" },
  prompts: { a: "Plan it.", b: { role: "solver", instructions: "Solve it.", constraints: ["Be brief."] } },
  dataset: { source: { kind: "simlm", world: "math-chain" }, heldOutUsedForTuning: false },
  evaluation: { local: "sim", lookahead: "sim", global: "big" },
  optimizer: { model: "big" },
  guards: { finalMetricFloor: null, localValidityFloor: null, tokensPerRoundMax: null },
  stop: { deadline: "1h" },
});

describe("views of a validated spec", () => {
  it("lists endpoints with their ids and defaults", () => {
    const endpoints = listModelEndpoints(spec);
    expect(endpoints.map((e) => e.id)).toEqual(["sim", "big", "idle"]);
    expect(endpoints[1]).toEqual({
      id: "big",
      baseURL: "https://api.example.com/v1",
      model: "b",
      apiKeyEnv: "BIG_KEY",
      price,
      concurrency: 2,
      timeoutMs: 60000,
      maxRetries: 5,
    });
    expect(simlmWorldOf(endpoints[0]!)).toBe("math-chain");
    expect(simlmWorldOf(endpoints[1]!)).toBeUndefined();
  });

  it("resolves serving models through serving.default and judge models per lens", () => {
    expect(servingModelOf(spec, "a")).toBe("sim");
    expect(servingModelOf(spec, "b")).toBe("big");
    expect(evaluationModelsOf(spec)).toEqual({ local: "sim", lookahead: "sim", global: "big" });
    expect(usedEndpointIds(spec).sort()).toEqual(["big", "sim"]);
  });

  it("gives the engine's graph with every agent's model resolved", () => {
    expect(agentGraphOf(spec)).toEqual({
      final: "b",
      agents: [
        { id: "a", role: "planner", predecessors: [], model: "sim" },
        { id: "b", role: "solver", predecessors: ["a"], model: "big" },
      ],
    });
  });

  it("gives every agent's initial prompt text, rendering prompts given in parts", () => {
    expect(initialPromptTexts(spec)).toEqual({
      a: "Plan it.",
      b: "You are the solver.\n\nSolve it.\n\nConstraints:\n- Be brief.",
    });
  });
});

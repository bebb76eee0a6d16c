/**
 * Test fixture: a toy world for the optimization loop. A prompt's quality is its count of "+" marks;
 * the final answer is right when the summed quality of the chain reaches the example's difficulty.
 * Deterministic, no LLM: workers answer every request at once, and `config` is a small run of it.
 */
import type { AgentGraph } from "@maspo/core";
import { NO_ABLATIONS, Rng } from "@maspo/core";
import type {
  CompareFinalsRequest,
  EngineWorkers,
  EvaluateRequest,
  Evaluation,
  Example,
  FinalComparison,
  Proposal,
  Trace,
} from "@maspo/core";
import type { OptimizeConfig } from "./optimize.js";

export const quality = (p: string) => (p.match(/\+/g) ?? []).length;

export const graph: AgentGraph = {
  final: "c",
  agents: [
    { id: "a", role: "first", predecessors: [], model: "m" },
    { id: "b", role: "second", predecessors: ["a"], model: "m" },
    { id: "c", role: "third", predecessors: ["b"], model: "m" },
  ],
};
export const train: Example[] = Array.from({ length: 12 }, (_, i) => ({ id: `t${i}`, input: `q${i}`, label: String(i % 6) }));

export function toyWorkers() {
  const evaluations: EvaluateRequest[] = [];
  const comparisons: CompareFinalsRequest[] = [];
  let calls = 0;
  const trace = (prompts: Record<string, string>, example: Example): Trace => {
    const total = Object.values(prompts).reduce((s, p) => s + quality(p), 0);
    const steps = Object.fromEntries(
      graph.agents.map((a) => [
        a.id,
        {
          agentId: a.id,
          prompt: prompts[a.id] ?? "",
          context: example.input,
          output: `${a.id}:${quality(prompts[a.id] ?? "")}`,
          status: "ok" as const,
          usage: { promptTokens: 1, completionTokens: 1 },
          cached: false,
          latencyMs: 0,
        },
      ]),
    );
    return {
      exampleId: example.id,
      steps,
      executed: graph.agents.map((a) => a.id),
      finalAgent: "c",
      finalOutput: String(total),
      ...(example.label !== undefined ? { finalScore: total >= Number(example.label) ? 1 : 0 } : {}),
    };
  };
  const workers: EngineWorkers & { evaluations: EvaluateRequest[]; comparisons: CompareFinalsRequest[] } = {
    evaluations,
    comparisons,
    async runGraph(req) {
      calls++;
      return trace(req.prompts, req.example);
    },
    async evaluate(req): Promise<Evaluation> {
      calls++;
      evaluations.push(structuredClone(req));
      const d = quality(req.candidate) - quality(req.reference);
      const R = d > 0 ? 0.9 : d < 0 ? 0.1 : 0.5;
      const candidateTraces = req.minibatch.map((e) => trace({ ...req.prompts, [req.agentId]: req.candidate }, e));
      const fm = candidateTraces.flatMap((t) => (t.finalScore === undefined ? [] : [t.finalScore]));
      return {
        R,
        lenses: { local: R, lookahead: req.agentId === "c" ? null : R, global: R },
        finalMetric: fm.length === 0 ? null : fm.reduce((s, x) => s + x, 0) / fm.length,
        cases: [],
        malformedVerdicts: 0,
      };
    },
    async mutate(req): Promise<Proposal[]> {
      calls++;
      const r = new Rng(req.seed);
      const prompt = `${req.parent}${r.bool(0.6) ? "+" : "-"}${r.int(1000)}`;
      return [{ prompt, operator: req.operator, traceIds: req.traces.map((t) => t.exampleId), hardNegativeIds: [] }];
    },
    // The toy judge prefers the larger final total, wherever it is shown: a judge without labels.
    async compareFinals(req): Promise<FinalComparison> {
      calls++;
      comparisons.push(structuredClone(req));
      const d = Number(req.candidate.output) - Number(req.reference.output);
      return { score: d > 0 ? 1 : d < 0 ? 0 : 0.5, method: d === 0 ? "identical" : "judge", malformedVerdicts: 0 };
    },
    usage: () => ({ calls, tokens: calls * 10, usd: 0, cacheHits: 0, retries: 0, failedAttempts: 0 }),
  };
  return workers;
}

export function config(overrides: Partial<OptimizeConfig> = {}): OptimizeConfig {
  return {
    graph,
    initialPrompts: { a: "A", b: "B", c: "C" },
    train,
    seed: 7,
    search: {
      beamSize: 2,
      rounds: 2,
      epochs: 1,
      childrenPerParent: 2,
      minibatchSize: 4,
      stepsPerAgent: 1,
      operators: ["rephrase", "add_constraint"],
    },
    misalignment: { bufferBudget: 10, casesPerStep: 3 },
    weights: { local: 0.25, lookahead: 0.35, global: 0.4 },
    guards: { finalMetricFloor: null, localValidityFloor: null, tokensPerRoundMax: null },
    stop: { targetMetric: null, patience: 10, deadlineAt: null, budgetUsd: null },
    ablations: NO_ABLATIONS,
    ...overrides,
  };
}

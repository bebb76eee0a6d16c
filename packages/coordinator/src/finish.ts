/**
 * The finish (method step 7): the held-out split is run exactly twice — under the initial and the
 * final prompt sets — and only now, after optimization; per-agent deltas and unrepaired cases are
 * measured on the train pool. Everything goes through the same workers as the loop.
 *
 * Held-out is measured as the run's measure says (final-measure.ts): the task metric of both sets,
 * or, without labels, the final set's judged win rate against the baseline set on each held-out
 * example (both orders), the baseline scoring ½ by definition. A label-free buffer case counts as
 * repaired when the final set's answer to its example beats the baseline's in both orders. The
 * held-out failures are sorted into failure modes from the traces already run (no extra call).
 */
import { createHash } from "node:crypto";
import { type AgentGraph, Rng, successorsOf } from "@maspo/core";
import { type Example, type Trace, meanFinalScore } from "@maspo/core";
import type { EngineWorkers, JointWeights } from "@maspo/core";
import { type FinalMeasure, judgeAgainstBaseline } from "./final-measure.js";
import { drawMinibatch } from "./minibatch.js";
import type { UnrepairedCase } from "./report/build-report.js";
import { type HeldOutFailures, heldOutFailures } from "./report/held-out-failures.js";
import type { Report } from "./report/report-schema.js";
import type { RunState } from "./run-state.js";

export interface FinishInput {
  graph: AgentGraph;
  initialPrompts: Record<string, string>;
  finalPrompts: Record<string, string>;
  train: Example[];
  heldOut: Example[];
  state: RunState;
  seed: number;
  minibatchSize: number;
  weights: JointWeights;
  /** How held-out is measured: the task metric (default) or, without labels, judged against the baseline. */
  measure?: FinalMeasure;
}

export interface FinishResult {
  heldOut: { baseline: number; final: number; examples: number; hash: string; measure: FinalMeasure; malformedVerdicts: number };
  perAgent: Report["delta"]["perAgent"];
  /** Every buffered case, re-tested under the final prompts (despite the name, repaired ones too: finalScore 1). */
  unrepaired: UnrepairedCase[];
  /** The held-out examples the final prompts fail, each in one failure mode (report section 5). */
  heldOutFailures: HeldOutFailures;
  baselineTraces: Trace[];
  finalTraces: Trace[];
}

/** A stable fingerprint of the held-out split, recorded in the report so a reader can check which data it is. */
export function splitHash(examples: readonly Example[]): string {
  const h = createHash("sha256");
  for (const e of examples) h.update(`${e.id}\u0000${e.input}\u0000${e.label ?? ""}\u0001`);
  return h.digest("hex").slice(0, 16);
}

export async function finish(input: FinishInput, workers: EngineWorkers): Promise<FinishResult> {
  const runAll: RunAll = (prompts, examples) => Promise.all(examples.map((example) => workers.runGraph({ prompts, example })));

  // The held-out runs, the per-agent deltas and the buffer cases need nothing of each other: all go at
  // once, so the endpoint stays full through the finish instead of draining at the end of each part.
  // The requests are the same whichever is served first, and so are the results.
  const heldOutRuns = Promise.all([runAll(input.initialPrompts, input.heldOut), runAll(input.finalPrompts, input.heldOut)]);
  const perAgentDeltas = perAgentDeltasOf(input, workers, runAll);
  const bufferCases = rerunBufferCases(input, workers, runAll);
  // Each part's failure is the finish's (awaited below); until then it must not count as unhandled.
  for (const part of [heldOutRuns, perAgentDeltas, bufferCases]) part.catch(() => {});
  const [baselineTraces, finalTraces] = await heldOutRuns;
  const measure = input.measure ?? "task-metric";
  const heldOutMeasure =
    measure === "task-metric"
      ? {
          baseline: meanFinalScore(baselineTraces) ?? 0,
          final: meanFinalScore(finalTraces) ?? 0,
          malformedVerdicts: 0,
          perExample: finalTraces.map((t) => t.finalScore ?? null),
          baselinePerExample: baselineTraces.map((t) => t.finalScore ?? null),
        }
      : await judgedHeldOut(workers, input.heldOut, finalTraces, baselineTraces);
  // Read from the traces just run: no call, and nothing of held-out reaches the search.
  const failures = heldOutFailures(
    input.graph,
    input.heldOut,
    finalTraces,
    heldOutMeasure.perExample,
    heldOutMeasure.baselinePerExample,
    measure === "task-metric" ? 1 : 0.5,
  );

  const perAgent = await perAgentDeltas;
  const unrepaired = await bufferCases;

  return {
    heldOut: {
      baseline: heldOutMeasure.baseline,
      final: heldOutMeasure.final,
      malformedVerdicts: heldOutMeasure.malformedVerdicts,
      examples: input.heldOut.length,
      hash: splitHash(input.heldOut),
      measure,
    },
    perAgent,
    unrepaired,
    heldOutFailures: failures,
    baselineTraces,
    finalTraces,
  };
}

type RunAll = (prompts: Record<string, string>, examples: readonly Example[]) => Promise<Trace[]>;

/** Each agent's final prompt against its initial one, the rest of the graph final, on a seeded train minibatch: all agents at once. */
async function perAgentDeltasOf(input: FinishInput, workers: EngineWorkers, runAll: RunAll): Promise<Report["delta"]["perAgent"]> {
  const rng = Rng.derive(input.seed, "finish", "per-agent");
  const minibatch = drawMinibatch(rng, input.train, input.minibatchSize);
  const base = await runAll(input.finalPrompts, minibatch);
  const deltas = await Promise.all(
    input.graph.agents.map(async (agent): Promise<Report["delta"]["perAgent"][string]> => {
      const initial = input.initialPrompts[agent.id] as string;
      const final = input.finalPrompts[agent.id] as string;
      if (initial === final) return { local: 0, lookahead: successorsOf(input.graph, agent.id).length > 0 ? 0 : null, global: 0 };
      const e = await workers.evaluate({
        agentId: agent.id,
        candidate: final,
        reference: initial,
        prompts: { ...input.finalPrompts, [agent.id]: initial },
        minibatch,
        baseTraces: base,
        weights: input.weights,
        lookahead: true,
      });
      return {
        local: e.lenses.local - 0.5,
        lookahead: e.lenses.lookahead === null ? null : e.lenses.lookahead - 0.5,
        global: e.lenses.global - 0.5,
      };
    }),
  );
  const perAgent: Report["delta"]["perAgent"] = {};
  input.graph.agents.forEach((agent, i) => (perAgent[agent.id] = deltas[i] as Report["delta"]["perAgent"][string]));
  return perAgent;
}

/** Buffer cases: does the final prompt set now get their examples right? Every buffered case, re-tested under the final prompts. */
async function rerunBufferCases(input: FinishInput, workers: EngineWorkers, runAll: RunAll): Promise<UnrepairedCase[]> {
  const byId = new Map(input.train.map((e) => [e.id, e]));
  const caseExamples = [...new Set(input.state.buffer.map((c) => c.exampleId))].sort().flatMap((id) => {
    const e = byId.get(id);
    return e ? [e] : [];
  });
  const caseTraceList = await runAll(input.finalPrompts, caseExamples);
  const caseTraces = new Map(caseTraceList.map((t) => [t.exampleId, t]));
  const judged = (input.measure ?? "task-metric") === "judge-vs-baseline";
  // Without labels, "now right" is "now beats the baseline's answer": the judge, both orders.
  const caseScores = judged
    ? await judgeAgainstBaseline(workers, caseExamples, caseTraceList, await runAll(input.initialPrompts, caseExamples))
    : undefined;
  const caseScore = new Map(caseExamples.map((e, i) => [e.id, caseScores?.perExample[i] ?? null]));
  // Repaired when now right.
  return input.state.buffer.map((c) => {
    const t = caseTraces.get(c.exampleId);
    const agent = input.graph.agents.find((a) => a.id === c.agentId);
    const upstreamFailed = (agent?.predecessors ?? []).some((p) => t?.steps[p]?.status !== "ok");
    return {
      agentId: c.agentId,
      exampleId: c.exampleId,
      category: c.category,
      finalScore: judged ? (caseScore.get(c.exampleId) ?? null) : (t?.finalScore ?? null),
      upstreamFailed,
      strength: c.strength,
      round: c.round,
      caseId: c.id,
    };
  });
}

/** Without labels: the final set's judged win rate against the baseline set; the baseline against itself is ½. */
async function judgedHeldOut(
  workers: EngineWorkers,
  heldOut: readonly Example[],
  finalTraces: readonly Trace[],
  baselineTraces: readonly Trace[],
): Promise<{ baseline: number; final: number; malformedVerdicts: number; perExample: (number | null)[]; baselinePerExample: null[] }> {
  const judged = await judgeAgainstBaseline(workers, heldOut, finalTraces, baselineTraces);
  return {
    baseline: 0.5,
    final: judged.value,
    malformedVerdicts: judged.malformedVerdicts,
    perExample: judged.perExample,
    // The baseline is the reference of a judged comparison: it has no score of its own per example.
    baselinePerExample: heldOut.map(() => null),
  };
}

/**
 * The embedded mode's workers: the coordinator's three requests answered by direct calls into the
 * executor, evaluator and mutator packages — the same pure functions the cluster's worker processes
 * run — over one LLM client.
 */
import type { AgentGraph, LlmCaller } from "@maspo/core";
import { evaluateCandidate, findMisalignments } from "@maspo/evaluator";
import { type Example, executeGraph, meanFinalScore } from "@maspo/executor";
import { mutate } from "@maspo/mutator";
import type {
  EngineWorkers,
  Evaluation,
  EvaluateRequest,
  MutateRequest,
  Proposal,
  RunGraphRequest,
  UsageTotals,
} from "./engine-workers.js";

export interface WorkerContext {
  graph: AgentGraph;
  llm: LlmCaller;
  /** The run seed: every LLM request carries it. */
  seed: number;
  judgeModels: { local: string; lookahead: string; global: string };
  optimizer: { model: string; temperature: number };
  scoreFinal?: (finalOutput: string, example: Example) => number | undefined;
}

export function runGraphTask(ctx: WorkerContext, req: RunGraphRequest) {
  return executeGraph({
    graph: ctx.graph,
    prompts: req.prompts,
    example: req.example,
    llm: ctx.llm,
    seed: ctx.seed,
    ...(ctx.scoreFinal ? { scoreFinal: ctx.scoreFinal } : {}),
    ...(req.base && req.rerunFrom ? { base: req.base, rerunFrom: req.rerunFrom } : {}),
  });
}

export async function evaluateTask(ctx: WorkerContext, req: EvaluateRequest): Promise<Evaluation> {
  const globalOnly = req.weights.local === 0 && req.weights.lookahead === 0;
  const e = await evaluateCandidate({
    graph: ctx.graph,
    llm: ctx.llm,
    ...(ctx.scoreFinal ? { scoreFinal: ctx.scoreFinal } : {}),
    agentId: req.agentId,
    candidate: req.candidate,
    reference: req.reference,
    prompts: req.prompts,
    minibatch: req.minibatch,
    baseTraces: req.baseTraces,
    judgeModels: ctx.judgeModels,
    weights: req.weights,
    seed: ctx.seed,
    ablations: { noLookahead: !req.lookahead, globalOnly },
  });
  return {
    R: e.reward,
    lenses: { local: e.scores.local ?? 0.5, lookahead: e.scores.lookahead, global: e.scores.global ?? 0.5 },
    finalMetric: meanFinalScore(e.examples.map((x) => x.candidateTrace)),
    cases: findMisalignments(e),
    malformedVerdicts: e.malformedVerdicts,
  };
}

export async function mutateTask(ctx: WorkerContext, req: MutateRequest): Promise<Proposal[]> {
  const agent = ctx.graph.agents.find((a) => a.id === req.agentId);
  const result = await mutate({
    llm: ctx.llm,
    agentId: req.agentId,
    role: agent?.role ?? req.agentId,
    parent: req.parent,
    operator: req.operator as Parameters<typeof mutate>[0]["operator"],
    traces: req.traces,
    hardNegatives: req.hardNegatives,
    optimizerModel: ctx.optimizer.model,
    temperature: ctx.optimizer.temperature,
    seed: req.seed,
    children: req.children,
    existingPrompts: req.existingPrompts,
    noTraces: req.noTraces,
  });
  return result.proposals.map((p) => ({
    prompt: p.prompt,
    operator: p.lineage.operator,
    traceIds: p.lineage.traceIds,
    hardNegativeIds: p.lineage.hardNegativeIds,
  }));
}

export function createEmbeddedWorkers(ctx: WorkerContext, usage: () => UsageTotals): EngineWorkers {
  return {
    runGraph: (req) => runGraphTask(ctx, req),
    evaluate: (req) => evaluateTask(ctx, req),
    mutate: (req) => mutateTask(ctx, req),
    usage,
  };
}

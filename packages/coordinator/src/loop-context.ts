/**
 * The one object every step of the loop (shared/maspo.md, "Core workflow") takes: the run's config,
 * its mutable state, the misalignment buffer, the effective weights and the workers; and the small
 * helpers every step uses to run the graph, score a candidate and ask for a mutation in the context
 * the method prescribes (all other agents at their current best, unless the run optimizes alone).
 * Plain data and plain functions, so a step reads top to bottom and the state stays serialisable.
 */
import { type Rng, promptVersion } from "@maspo/core";
import type { Example, Trace } from "@maspo/core";
import { ablatedWeights } from "./ablated-weights.js";
import type { BeamMember } from "./beam.js";
import type { EngineWorkers, Evaluation, HardNegative, JointWeights, Proposal } from "@maspo/core";
import { drawMinibatch } from "./minibatch.js";
import { MisalignmentBuffer } from "./misalignment-buffer.js";
import { injectedFor } from "./misalignment-mining.js";
import type { OptimizeConfig } from "./optimize-config.js";
import type { RunState, StoredCase } from "./run-state.js";

export interface LoopContext {
  config: OptimizeConfig;
  /** Mutated in place by the steps; the driver checkpoints it after each one. */
  state: RunState;
  /** ℬ_mis, kept in step with `state.buffer` (see misalignment-mining.ts). */
  buffer: MisalignmentBuffer<StoredCase>;
  /** The weights after the ablations: what every candidate is scored with. */
  weights: JointWeights;
  /** Compare lookahead at all (off when the ablations zero its weight). */
  useLookahead: boolean;
  workers: EngineWorkers;
  /** Gauss-Seidel order: the agents in topological order. */
  order: readonly string[];
}

export function createLoopContext(config: OptimizeConfig, workers: EngineWorkers, state: RunState, order: readonly string[]): LoopContext {
  const buffer = MisalignmentBuffer.fromJSON<StoredCase>(config.misalignment.bufferBudget, state.buffer);
  const weights = ablatedWeights(config.weights, config.ablations);
  return { config, state, buffer, weights, useLookahead: weights.lookahead > 0, workers, order };
}

/** Prompts of every agent as agent `agentId` is scored: current bests, or the initial set when optimizing alone. */
export function contextPrompts(ctx: LoopContext, agentId: string): Record<string, string> {
  if (!ctx.config.ablations.independent) return { ...ctx.state.prompts };
  return { ...ctx.config.initialPrompts, [agentId]: ctx.state.prompts[agentId] as string };
}

/** The versions of `contextPrompts`: what a beam's scores are stamped with, and checked against for staleness. */
export function contextVersions(ctx: LoopContext, agentId: string): Record<string, string> {
  const prompts = contextPrompts(ctx, agentId);
  return Object.fromEntries(Object.entries(prompts).map(([id, p]) => [id, promptVersion(p)]));
}

/** The whole graph on every example, all started at once (the workers decide the concurrency). */
export function runAll(ctx: LoopContext, prompts: Record<string, string>, examples: readonly Example[]): Promise<Trace[]> {
  return Promise.all(examples.map((example) => ctx.workers.runGraph({ prompts, example })));
}

/** A step's minibatch from the train pool, with the examples that misled the agent's predecessors injected. */
export function drawStepMinibatch(ctx: LoopContext, agentId: string, rng: Rng): Example[] {
  return drawMinibatch(rng, ctx.config.train, ctx.config.search.minibatchSize, injectedFor(ctx, agentId));
}

/** Joint evaluation of `candidate` against `reference` for this agent, on a minibatch already run under the reference. */
export function evaluate(
  ctx: LoopContext,
  agentId: string,
  candidate: string,
  reference: string,
  minibatch: Example[],
  baseTraces: Trace[],
): Promise<Evaluation> {
  return ctx.workers.evaluate({
    agentId,
    candidate,
    reference,
    prompts: { ...contextPrompts(ctx, agentId), [agentId]: reference },
    minibatch,
    baseTraces,
    weights: ctx.weights,
    lookahead: ctx.useLookahead,
  });
}

/** One trace-guided mutation of `parent` (one child), told the beam's prompts so it does not repeat one. */
export async function propose(
  ctx: LoopContext,
  agentId: string,
  parent: BeamMember,
  operator: string,
  traces: Trace[],
  hardNegatives: HardNegative[],
  seed: number,
): Promise<Proposal[]> {
  return ctx.workers.mutate({
    agentId,
    parent: parent.prompt,
    operator,
    traces,
    hardNegatives,
    children: 1,
    existingPrompts: (ctx.state.beams[agentId] ?? []).map((m) => m.prompt),
    seed,
    noTraces: ctx.config.ablations.noTraces,
  });
}

/** Failing traces first: they are the optimizer's best evidence. */
export function evidence(traces: readonly Trace[]): Trace[] {
  return [...traces].sort((a, b) => (a.finalScore ?? 0.5) - (b.finalScore ?? 0.5) || (a.exampleId < b.exampleId ? -1 : 1));
}

/**
 * The MASPO optimization loop (shared/maspo.md, "Core workflow"): orientation, beam initialisation,
 * misalignment mining, rounds of Beam Refresh → trace-guided mutation → joint evaluation → top-K,
 * in Gauss-Seidel order, until a stop condition. It owns no I/O: workers, checkpoints and progress
 * are injected, so the embedded mode and the cluster run exactly this code. The held-out split
 * never reaches it.
 */
import { type AgentGraph, Rng, deriveSeed, successorsOf, promptVersion } from "@maspo/core";
import { strongestPerAgent } from "@maspo/evaluator";
import { type Example, type Trace, meanFinalScore } from "@maspo/executor";
import { type BeamMember, type LensScores, mayLead, selectTopK } from "./beam.js";
import type { EngineWorkers, Evaluation, HardNegative, JointWeights, Proposal } from "./engine-workers.js";
import { contextSignature, gaussSeidelOrder, isBeamStale } from "./gauss-seidel.js";
import { drawMinibatch } from "./minibatch.js";
import { MisalignmentBuffer } from "./misalignment-buffer.js";
import type { GuardEvent, RunState, StoredCase, TrajectoryRow } from "./run-state.js";
import { type Step, describeStep, globalRound, planSteps } from "./step-plan.js";

export interface Ablations {
  noLookahead: boolean;
  noMisalignment: boolean;
  noRefresh: boolean;
  globalOnly: boolean;
  independent: boolean;
  noTraces: boolean;
}

export const NO_ABLATIONS: Ablations = {
  noLookahead: false,
  noMisalignment: false,
  noRefresh: false,
  globalOnly: false,
  independent: false,
  noTraces: false,
};

export interface OptimizeConfig {
  graph: AgentGraph;
  initialPrompts: Record<string, string>;
  /** The train pool. The held-out split is never given to the loop. */
  train: Example[];
  seed: number;
  search: {
    beamSize: number;
    rounds: number;
    epochs: number;
    childrenPerParent: number;
    minibatchSize: number;
    stepsPerAgent: number;
    operators: string[];
  };
  misalignment: { bufferBudget: number; casesPerStep: number };
  weights: JointWeights;
  guards: { finalMetricFloor: number | null; localValidityFloor: number | null; tokensPerRoundMax: number | null };
  stop: { targetMetric: number | null; patience: number; deadlineAt: number | null; budgetUsd: number | null };
  ablations: Ablations;
}

export interface StepEvent {
  index: number;
  total: number;
  step: Step;
  label: string;
  state: RunState;
}

export interface OptimizeHooks {
  /** Called after every step with the state to checkpoint; awaited, so a checkpoint is durable before the next step. */
  onStep?: (event: StepEvent) => Promise<void> | void;
  /** Called at every round end (one terminal line per round). */
  onRound?: (event: StepEvent) => void;
  /** Wall clock, injectable for tests of the deadline. */
  now?: () => number;
}

export interface OptimizeResult {
  state: RunState;
  finalPrompts: Record<string, string>;
}

const NEUTRAL: LensScores = { local: 0.5, lookahead: 0.5, global: 0.5 };

export function initialState(config: OptimizeConfig): RunState {
  const best: Record<string, string> = {};
  for (const [id, prompt] of Object.entries(config.initialPrompts)) best[id] = promptVersion(prompt);
  return {
    v: 1,
    nextStep: 0,
    beams: {},
    best,
    prompts: { ...config.initialPrompts },
    buffer: [],
    trajectory: [],
    rounds: [],
    guardEvents: [],
    orientation: null,
    bestTrainMetric: Number.NEGATIVE_INFINITY,
    bestPrompts: { ...config.initialPrompts },
    bestRound: 0,
    roundsWithoutImprovement: 0,
    stopReason: null,
    roundStartTokens: 0,
    skipRoundAfterGuard: false,
    malformedVerdicts: 0,
  };
}

/** The weights a candidate is actually scored with, after the ablations. */
export function ablatedWeights(weights: JointWeights, ablations: Ablations): JointWeights {
  if (ablations.independent) return { local: 1, lookahead: 0, global: 0 };
  if (ablations.globalOnly) return { local: 0, lookahead: 0, global: 1 };
  if (ablations.noLookahead) {
    const sum = weights.local + weights.global;
    return { local: weights.local / sum, lookahead: 0, global: weights.global / sum };
  }
  return weights;
}

function mean(xs: readonly number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export async function optimize(
  config: OptimizeConfig,
  workers: EngineWorkers,
  hooks: OptimizeHooks = {},
  resumeFrom?: RunState,
): Promise<OptimizeResult> {
  const order = gaussSeidelOrder(config.graph);
  const plan = planSteps(order, config.search.epochs, config.search.rounds, config.search.stepsPerAgent);
  const now = hooks.now ?? Date.now;
  const state: RunState = resumeFrom ? structuredClone(resumeFrom) : initialState(config);
  const buffer = MisalignmentBuffer.fromJSON<StoredCase>(config.misalignment.bufferBudget, state.buffer);
  const weights = ablatedWeights(config.weights, config.ablations);
  const useLookahead = weights.lookahead > 0;

  /** Prompts of every agent as agent `agentId` is scored: current bests, or the initial set when optimizing alone. */
  const contextPrompts = (agentId: string): Record<string, string> => {
    if (!config.ablations.independent) return { ...state.prompts };
    return { ...config.initialPrompts, [agentId]: state.prompts[agentId] as string };
  };
  const contextVersions = (agentId: string): Record<string, string> => {
    const prompts = contextPrompts(agentId);
    return Object.fromEntries(Object.entries(prompts).map(([id, p]) => [id, promptVersion(p)]));
  };

  const runAll = (prompts: Record<string, string>, examples: readonly Example[]): Promise<Trace[]> =>
    Promise.all(examples.map((example) => workers.runGraph({ prompts, example })));

  /** Examples that misled this agent's predecessors: injected into its minibatches. */
  const injectedFor = (agentId: string): string[] => {
    if (config.ablations.noMisalignment) return [];
    const preds = config.graph.agents.find((a) => a.id === agentId)?.predecessors ?? [];
    return preds.flatMap((p) => buffer.forAgent(p).map((c) => c.exampleId));
  };

  const evaluate = (agentId: string, candidate: string, reference: string, minibatch: Example[], baseTraces: Trace[]) =>
    workers.evaluate({
      agentId,
      candidate,
      reference,
      prompts: { ...contextPrompts(agentId), [agentId]: reference },
      minibatch,
      baseTraces,
      weights,
      lookahead: useLookahead,
    });

  /** Misalignment mining: the step's strongest `casesPerStep` cases of this agent enter the buffer, not every case seen. */
  const mine = (agentId: string, evaluations: readonly Evaluation[], round: number): void => {
    if (config.ablations.noMisalignment) return;
    const own = evaluations.flatMap((e) => e.cases).filter((c) => c.agentId === agentId);
    const cases: StoredCase[] = strongestPerAgent(own, config.misalignment.casesPerStep).map((c) => ({ ...c, round }));
    buffer.add(cases);
    state.buffer = buffer.toJSON();
  };

  /** Guard floors: a candidate that breaks one is not promoted, and the report says which floor stopped it. */
  const passesGuards = (agentId: string, round: number, member: BeamMember): boolean => {
    const { finalMetricFloor, localValidityFloor } = config.guards;
    const events: GuardEvent[] = [];
    if (finalMetricFloor !== null && member.finalMetric !== null && member.finalMetric < finalMetricFloor) {
      events.push({
        round,
        agent: agentId,
        guard: "finalMetricFloor",
        detail: `candidate ${member.version} final metric ${member.finalMetric.toFixed(3)} < floor ${finalMetricFloor}`,
      });
    }
    if (localValidityFloor !== null && member.lenses.local < localValidityFloor) {
      events.push({
        round,
        agent: agentId,
        guard: "localValidityFloor",
        detail: `candidate ${member.version} local validity ${member.lenses.local.toFixed(3)} < floor ${localValidityFloor}`,
      });
    }
    state.guardEvents.push(...events);
    return events.length === 0;
  };

  /** Keep the top K; the first place — the agent's global best — only to a member whose graph lenses may lead (beam.ts `mayLead`). */
  const setBeam = (agentId: string, members: BeamMember[]): boolean => {
    const beam = selectTopK(members, config.search.beamSize, state.best[agentId], (m) => mayLead(m, weights));
    state.beams[agentId] = beam;
    const top = beam[0];
    if (top && top.version !== state.best[agentId]) {
      // Gauss-Seidel: the new best is what every later agent sees, starting now.
      state.best[agentId] = top.version;
      state.prompts[agentId] = top.prompt;
      return true;
    }
    return false;
  };

  const propose = async (
    agentId: string,
    parent: BeamMember,
    operator: string,
    traces: Trace[],
    hardNegatives: HardNegative[],
    seed: number,
  ): Promise<Proposal[]> =>
    workers.mutate({
      agentId,
      parent: parent.prompt,
      operator,
      traces,
      hardNegatives,
      children: 1,
      existingPrompts: (state.beams[agentId] ?? []).map((m) => m.prompt),
      seed,
      noTraces: config.ablations.noTraces,
    });

  const child = (
    agentId: string,
    parent: BeamMember,
    proposal: Proposal,
    evaluation: Evaluation,
    round: number,
    scoredIn: string,
  ): BeamMember => ({
    version: promptVersion(proposal.prompt),
    prompt: proposal.prompt,
    J: evaluation.R - 0.5 + parent.J,
    lenses: evaluation.lenses,
    finalMetric: evaluation.finalMetric,
    lineage: {
      parent: parent.version,
      operator: proposal.operator,
      traceIds: proposal.traceIds,
      hardNegativeIds: proposal.hardNegativeIds,
    },
    scoredIn,
    bornRound: round,
  });

  /** Beam Refresh: re-score every member against the current global best on a fresh minibatch. */
  const refresh = async (agentId: string, rng: Rng, round: number): Promise<boolean> => {
    const beam = state.beams[agentId] ?? [];
    const bestPrompt = state.prompts[agentId] as string;
    const minibatch = drawMinibatch(rng, config.train, config.search.minibatchSize, injectedFor(agentId));
    const base = await runAll(contextPrompts(agentId), minibatch);
    const scoredIn = contextSignature(agentId, contextVersions(agentId));
    const rescored = await Promise.all(
      beam.map(async (m): Promise<{ member: BeamMember; evaluation: Evaluation | null }> => {
        if (m.prompt === bestPrompt) {
          return { member: { ...m, J: 0, lenses: NEUTRAL, finalMetric: meanFinalScore(base), scoredIn }, evaluation: null };
        }
        const evaluation = await evaluate(agentId, m.prompt, bestPrompt, minibatch, base);
        state.malformedVerdicts += evaluation.malformedVerdicts;
        return {
          member: { ...m, J: evaluation.R - 0.5, lenses: evaluation.lenses, finalMetric: evaluation.finalMetric, scoredIn },
          evaluation,
        };
      }),
    );
    mine(
      agentId,
      rescored.flatMap((r) => (r.evaluation ? [r.evaluation] : [])),
      round,
    );
    return setBeam(
      agentId,
      rescored.map((r) => r.member),
    );
  };

  /** Failing traces first: they are the optimizer's best evidence. */
  const evidence = (traces: readonly Trace[]): Trace[] =>
    [...traces].sort((a, b) => (a.finalScore ?? 0.5) - (b.finalScore ?? 0.5) || (a.exampleId < b.exampleId ? -1 : 1));

  const runStep = async (step: Step, round: number): Promise<void> => {
    switch (step.kind) {
      case "orientation": {
        const traces = await runAll(state.prompts, config.train);
        const failingAgents: Record<string, number> = {};
        for (const id of order) failingAgents[id] = traces.filter((t) => t.steps[id]?.status !== "ok").length;
        state.orientation = {
          trainMetric: meanFinalScore(traces) ?? 0,
          failingAgents,
          weakestLens: null,
          constrainingAgent: null,
        };
        state.bestTrainMetric = state.orientation.trainMetric;
        return;
      }
      case "init": {
        const agentId = step.agent;
        const rng = Rng.derive(config.seed, "init", agentId);
        const initial = state.prompts[agentId] as string;
        const minibatch = drawMinibatch(rng, config.train, config.search.minibatchSize, injectedFor(agentId));
        const base = await runAll(contextPrompts(agentId), minibatch);
        const scoredIn = contextSignature(agentId, contextVersions(agentId));
        const root: BeamMember = {
          version: promptVersion(initial),
          prompt: initial,
          J: 0,
          lenses: NEUTRAL,
          finalMetric: meanFinalScore(base),
          lineage: { parent: null, operator: null, traceIds: [], hardNegativeIds: [] },
          scoredIn,
          bornRound: 0,
        };
        state.beams[agentId] = [root];
        const ops = config.search.operators.filter((o) => o !== "add_negative");
        const usable = ops.length > 0 ? ops : config.search.operators;
        const offset = rng.int(usable.length);
        const proposals = await Promise.all(
          Array.from({ length: Math.max(0, config.search.beamSize - 1) }, (_, i) =>
            propose(
              agentId,
              root,
              usable[(offset + i) % usable.length] as string,
              evidence(base),
              [],
              deriveSeed(config.seed, "init", agentId, i),
            ),
          ),
        );
        const fresh = dedupe(proposals.flat(), [initial]);
        const evaluations = await Promise.all(fresh.map((p) => evaluate(agentId, p.prompt, initial, minibatch, base)));
        const members = [root];
        fresh.forEach((p, i) => {
          const evaluation = evaluations[i] as Evaluation;
          state.malformedVerdicts += evaluation.malformedVerdicts;
          const m = child(agentId, root, p, evaluation, 0, scoredIn);
          if (passesGuards(agentId, 0, m)) members.push(m);
        });
        mine(agentId, evaluations, 0);
        setBeam(agentId, members);
        if (agentId === order[order.length - 1]) finishOrientation();
        return;
      }
      case "agent": {
        const agentId = step.agent;
        if (state.skipRoundAfterGuard) return;
        const { tokensPerRoundMax } = config.guards;
        if (tokensPerRoundMax !== null && workers.usage().tokens - state.roundStartTokens > tokensPerRoundMax) {
          state.guardEvents.push({
            round,
            agent: agentId,
            guard: "tokensPerRoundMax",
            detail: `round ${round} used more than ${tokensPerRoundMax} tokens; remaining agents skipped this round`,
          });
          state.skipRoundAfterGuard = true;
          return;
        }
        const labels = [step.epoch, step.round, agentId, step.step] as const;
        let refreshed = false;
        const stale = isBeamStale(state.beams[agentId] ?? [], agentId, contextVersions(agentId));
        if (stale && !config.ablations.noRefresh && !config.ablations.independent) {
          await refresh(agentId, Rng.derive(config.seed, "refresh", ...labels), round);
          refreshed = true;
        }
        const rng = Rng.derive(config.seed, "round", ...labels);
        const minibatch = drawMinibatch(rng, config.train, config.search.minibatchSize, injectedFor(agentId));
        const ctx = contextPrompts(agentId);
        const base = await runAll(ctx, minibatch);
        const scoredIn = contextSignature(agentId, contextVersions(agentId));
        const parents = state.beams[agentId] ?? [];
        // Every parent is mutated from its own traces on the shared minibatch.
        const parentTraces = await Promise.all(
          parents.map((p) =>
            p.prompt === ctx[agentId]
              ? Promise.resolve(base)
              : Promise.all(
                  minibatch.map((example, i) =>
                    workers.runGraph({ prompts: { ...ctx, [agentId]: p.prompt }, example, base: base[i] as Trace, rerunFrom: agentId }),
                  ),
                ),
          ),
        );
        const hardNegatives = config.ablations.noMisalignment ? [] : buffer.strongest(agentId, config.misalignment.casesPerStep);
        const jobs: { parent: BeamMember; parentIndex: number; operator: string; negatives: HardNegative[]; seed: number }[] = [];
        parents.forEach((parent, parentIndex) => {
          for (let c = 0; c < config.search.childrenPerParent; c++) {
            // Hybrid batch: a share of children are driven by the buffer's hard negatives, the rest by random operators.
            const useNegative = hardNegatives.length > 0 && config.search.operators.includes("add_negative") && rng.bool(0.5);
            const others = config.search.operators.filter((o) => o !== "add_negative");
            const operator = useNegative ? "add_negative" : others.length > 0 ? rng.pick(others) : "add_negative";
            jobs.push({
              parent,
              parentIndex,
              operator,
              negatives: operator === "add_negative" ? hardNegatives : [],
              seed: deriveSeed(config.seed, "mutate", ...labels, parentIndex, c),
            });
          }
        });
        const proposals = await Promise.all(
          jobs.map((j) => propose(agentId, j.parent, j.operator, evidence(parentTraces[j.parentIndex] as Trace[]), j.negatives, j.seed)),
        );
        const seen = new Set(parents.map((p) => normalizePrompt(p.prompt)));
        const candidates: { job: (typeof jobs)[number]; proposal: Proposal }[] = [];
        jobs.forEach((job, i) => {
          for (const proposal of proposals[i] ?? []) {
            const key = normalizePrompt(proposal.prompt);
            if (key.length === 0 || seen.has(key)) continue;
            seen.add(key);
            candidates.push({ job, proposal });
          }
        });
        const evaluations = await Promise.all(
          candidates.map((c) => evaluate(agentId, c.proposal.prompt, c.job.parent.prompt, minibatch, base)),
        );
        const members = parents.map((p) => ({ ...p, scoredIn: p.scoredIn }));
        candidates.forEach((c, i) => {
          const evaluation = evaluations[i] as Evaluation;
          state.malformedVerdicts += evaluation.malformedVerdicts;
          const m = child(agentId, c.job.parent, c.proposal, evaluation, round, scoredIn);
          if (passesGuards(agentId, round, m)) members.push(m);
        });
        mine(agentId, evaluations, round);
        const changed = setBeam(agentId, members);
        const top = (state.beams[agentId] ?? [])[0] as BeamMember;
        const row: TrajectoryRow = {
          epoch: step.epoch,
          round,
          agent: agentId,
          best_local: top.lenses.local,
          best_lookahead: successorsOf(config.graph, agentId).length > 0 ? top.lenses.lookahead : null,
          best_global: top.lenses.global,
          composite: top.J,
          beam_refresh_triggered: refreshed,
          best_changed: changed,
        };
        state.trajectory.push(row);
        return;
      }
      case "round-end": {
        // Gauss-Seidel, round completion: agents whose successors' bests moved after their own step are re-scored now.
        if (!config.ablations.noRefresh && !config.ablations.independent) {
          for (const agentId of order) {
            if (isBeamStale(state.beams[agentId] ?? [], agentId, contextVersions(agentId))) {
              await refresh(agentId, Rng.derive(config.seed, "round-end-refresh", step.epoch, step.round, agentId), round);
              const last = [...state.trajectory].reverse().find((r) => r.agent === agentId && r.round === round);
              if (last) last.beam_refresh_triggered = true;
            }
          }
        }
        const traces = await runAll(state.prompts, config.train);
        const trainMetric = meanFinalScore(traces) ?? 0;
        if (trainMetric > state.bestTrainMetric + 1e-9) {
          state.bestTrainMetric = trainMetric;
          // The run returns the best graph it measured, not merely the last: a later round may regress.
          state.bestPrompts = { ...state.prompts };
          state.bestRound = round;
          state.roundsWithoutImprovement = 0;
        } else {
          state.roundsWithoutImprovement += 1;
        }
        const usage = workers.usage();
        state.rounds.push({
          epoch: step.epoch,
          round,
          trainMetric,
          bufferSize: buffer.size(),
          categories: Object.fromEntries([...buffer.countByCategory()].sort()),
          tokens: usage.tokens,
          usd: usage.usd,
          calls: usage.calls,
        });
        state.roundStartTokens = usage.tokens;
        state.skipRoundAfterGuard = false;
        if (config.stop.targetMetric !== null && trainMetric >= config.stop.targetMetric) {
          state.stopReason = `target metric ${config.stop.targetMetric} reached (train ${trainMetric.toFixed(3)})`;
        } else if (state.roundsWithoutImprovement >= config.stop.patience) {
          state.stopReason = `no global improvement for ${config.stop.patience} rounds`;
        }
        return;
      }
    }
  };

  const finishOrientation = (): void => {
    if (!state.orientation) return;
    // The weakest lens and the constraining agent come from the initial mutations' scores: where the
    // lenses are lowest, and which agent's best child moves the global lens most (the most headroom).
    const lensMeans: Record<string, number[]> = { local: [], lookahead: [], global: [] };
    let constraining: { agent: string; gain: number } | null = null;
    for (const id of order) {
      const children = (state.beams[id] ?? []).filter((m) => m.lineage.parent !== null);
      for (const m of children) {
        lensMeans.local?.push(m.lenses.local);
        if (m.lenses.lookahead !== null) lensMeans.lookahead?.push(m.lenses.lookahead);
        lensMeans.global?.push(m.lenses.global);
      }
      const gain = Math.max(0, ...children.map((m) => m.lenses.global - 0.5));
      if (constraining === null || gain > constraining.gain) constraining = { agent: id, gain };
    }
    const weakest = Object.entries(lensMeans)
      .flatMap(([lens, xs]) => {
        const m = mean(xs);
        return m === null ? [] : [{ lens, m }];
      })
      .sort((a, b) => a.m - b.m)[0];
    state.orientation.weakestLens = weakest?.lens ?? null;
    state.orientation.constrainingAgent = constraining?.agent ?? null;
  };

  for (let index = state.nextStep; index < plan.length; index++) {
    const step = plan[index] as Step;
    if (state.stopReason === null) {
      const usage = workers.usage();
      if (config.stop.deadlineAt !== null && now() >= config.stop.deadlineAt) state.stopReason = "deadline reached";
      else if (config.stop.budgetUsd !== null && usage.usd >= config.stop.budgetUsd)
        state.stopReason = `budget of $${config.stop.budgetUsd} spent`;
    }
    if (state.stopReason !== null) break;
    const round = globalRound(step, config.search.rounds);
    await runStep(step, round);
    state.nextStep = index + 1;
    const event: StepEvent = { index, total: plan.length, step, label: describeStep(step), state };
    await hooks.onStep?.(event);
    if (step.kind === "round-end") hooks.onRound?.(event);
  }
  if (state.stopReason === null) state.stopReason = "all rounds done";
  return { state, finalPrompts: { ...state.bestPrompts } };
}

export function normalizePrompt(prompt: string): string {
  return prompt.toLowerCase().replace(/\s+/g, " ").trim();
}

function dedupe(proposals: readonly Proposal[], existing: readonly string[]): Proposal[] {
  const seen = new Set(existing.map(normalizePrompt));
  const out: Proposal[] = [];
  for (const p of proposals) {
    const key = normalizePrompt(p.prompt);
    if (key.length === 0 || seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

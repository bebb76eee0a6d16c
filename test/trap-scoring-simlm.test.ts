/**
 * What MASPO exists for, on every bundled simlm world: a trap directive (it wins the local judge and
 * starves or misleads the agents after it) is rejected by the full joint reward and accepted when the
 * agent is scored locally alone (the --independent ablation). First as scores on the whole train pool
 * in the oracle's best graph, then end to end through the loop: a solver handed the trap as its only
 * child keeps its prompt under full MASPO and adopts the trap under --independent.
 */
import { NO_ABLATIONS, type Ablations, type EngineWorkers, type WorkerContext } from "@maspo/core";
import { ablatedWeights, optimize } from "@maspo/coordinator";
import { runGraphTask } from "@maspo/executor";
import { startInProcessWorkers } from "@maspo/run";
import { evaluateTask } from "@maspo/evaluator";
import {
  bundledWorldNames,
  generateDataset,
  loadWorld,
  oracle,
  promptForDirectives,
  simCaller,
  worldGraph,
  worldScorer,
  type World,
} from "@maspo/simlm";
import { describe, expect, it } from "vitest";

const WEIGHTS = { local: 0.25, lookahead: 0.35, global: 0.4 };

function workerContext(world: World): WorkerContext {
  return {
    graph: worldGraph(world, "serve"),
    llm: simCaller(world),
    seed: 1,
    judgeModels: { local: "judge", lookahead: "judge", global: "judge" },
    optimizer: { model: "optimizer", temperature: 0.7 },
    scoreFinal: worldScorer(world),
  };
}

/** The oracle's best prompt set, and each trap added to it. */
function bestAndTraps(world: World) {
  const o = oracle(world);
  const traps = world.agents.flatMap((agent) =>
    agent.directives
      .filter((d) => d.trap)
      .map((d) => ({
        label: `${agent.id}.${d.id}`,
        agentId: agent.id,
        candidate: promptForDirectives(world, agent.id, new Set([...(o.bestDirectives[agent.id] ?? []), d.id])),
      })),
  );
  return { best: o.best, traps };
}

describe.each(bundledWorldNames())("world %s", (name) => {
  const world = loadWorld(name);
  const { best, traps } = bestAndTraps(world);
  const train = generateDataset(world).train;

  it.each(traps.map((t) => [t.label, t] as const))(
    "rejects trap %s under the full joint reward, while scoring it locally alone accepts it",
    async (_label, trap) => {
      const ctx = workerContext(world);
      const baseTraces = await Promise.all(train.map((example) => runGraphTask(ctx, { prompts: best, example })));
      const score = async (ablations: Ablations) => {
        const weights = ablatedWeights(WEIGHTS, ablations);
        const e = await evaluateTask(ctx, {
          agentId: trap.agentId,
          candidate: trap.candidate,
          reference: best[trap.agentId] as string,
          prompts: best,
          minibatch: train,
          baseTraces,
          weights,
          lookahead: weights.lookahead > 0,
        });
        return e.R;
      };
      // A clear margin on the whole pool, so a 10-example minibatch rarely flips it.
      expect(await score(NO_ABLATIONS)).toBeLessThan(0.46);
      expect(await score({ ...NO_ABLATIONS, independent: true })).toBeGreaterThan(0.6);
    },
  );
});

describe("the loop on math-chain, starting from the oracle's best set", () => {
  const world = loadWorld("math-chain");
  const { best, traps } = bestAndTraps(world);
  const trap = traps.find((t) => t.label === "solver.confident_prose");
  if (!trap) throw new Error("math-chain has no solver trap");

  /** One round in which the solver's only proposal is the trap, and nobody else proposes anything. */
  async function solverAfterOneRound(ablations: Ablations): Promise<string> {
    const ctx = workerContext(world);
    const embedded = await startInProcessWorkers({ context: ctx, endpoints: [] });
    const workers: EngineWorkers = {
      runGraph: (req) => embedded.runGraph(req),
      evaluate: (req) => embedded.evaluate(req),
      compareFinals: (req) => embedded.compareFinals(req),
      usage: () => embedded.usage(),
      mutate: async (req) =>
        req.agentId === "solver" && req.parent === best.solver
          ? [{ prompt: trap?.candidate as string, operator: req.operator, traceIds: [], hardNegativeIds: [] }]
          : [],
    };
    const result = await optimize(
      {
        graph: ctx.graph,
        initialPrompts: best,
        train: generateDataset(world).train,
        seed: 3,
        search: {
          beamSize: 2,
          rounds: 1,
          epochs: 1,
          childrenPerParent: 1,
          minibatchSize: 10,
          stepsPerAgent: 1,
          operators: ["add_constraint"],
        },
        misalignment: { bufferBudget: 50, casesPerStep: 3 },
        weights: WEIGHTS,
        guards: { finalMetricFloor: null, localValidityFloor: null, tokensPerRoundMax: null },
        stop: { targetMetric: null, patience: 3, deadlineAt: null, budgetUsd: null },
        ablations,
      },
      workers,
    );
    await embedded.close();
    return result.state.prompts.solver as string;
  }

  it("keeps the solver's prompt when the trap is proposed under full MASPO", async () => {
    expect(await solverAfterOneRound(NO_ABLATIONS)).toBe(best.solver);
  });

  it("adopts the trap when the solver is optimized alone (--independent)", async () => {
    expect(await solverAfterOneRound({ ...NO_ABLATIONS, independent: true })).toBe(trap.candidate);
  });
});

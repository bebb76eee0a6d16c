import { NO_ABLATIONS, promptVersion } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { optimize } from "./optimize.js";
import type { RunState } from "./run-state.js";
import { config, quality, toyWorkers, train } from "./toy-world.fixture.js";

describe("optimize", () => {
  it("evaluates agent i+1 against agent i's new best in the same round (Gauss-Seidel)", async () => {
    const workers = toyWorkers();
    const steps: {
      kind: string;
      agent?: string;
      round?: number;
      evalsBefore: number;
      evalsAfter: number;
      prompts: Record<string, string>;
    }[] = [];
    let evalsBefore = 0;
    await optimize(config(), workers, {
      onStep: (e) => {
        const s = e.step;
        steps.push({
          kind: s.kind,
          agent: "agent" in s ? s.agent : undefined,
          round: s.kind === "agent" ? s.round : undefined,
          evalsBefore,
          evalsAfter: workers.evaluations.length,
          prompts: { ...e.state.prompts },
        });
        evalsBefore = workers.evaluations.length;
      },
    });
    let checked = 0;
    for (const round of [1, 2]) {
      const aStep = steps.find((s) => s.kind === "agent" && s.agent === "a" && s.round === round);
      const bStep = steps.find((s) => s.kind === "agent" && s.agent === "b" && s.round === round);
      if (!aStep || !bStep) throw new Error("missing step");
      const bEvals = workers.evaluations.slice(bStep.evalsBefore, bStep.evalsAfter);
      expect(bEvals.length).toBeGreaterThan(0);
      for (const e of bEvals) expect(e.prompts.a).toBe(aStep.prompts.a);
      if (aStep.prompts.a !== "A") checked++;
    }
    // The toy world always finds a better "a" in round 1, so the propagation was really exercised.
    expect(checked).toBeGreaterThan(0);
  });

  it("refreshes a stale beam when another agent's best moved, and not otherwise", async () => {
    // Only b improves. a proposes one worse prompt at initialisation and nothing after, so a's beam is
    // [A, worse]; it goes stale when b's best moves and must then be re-scored against a's best.
    // b's own context (a and c) never moves, so b is never refreshed.
    const workers = toyWorkers();
    const mutate = workers.mutate.bind(workers);
    let aProposals = 0;
    workers.mutate = async (req) => {
      if (req.agentId === "b") return mutate(req);
      if (req.agentId === "a" && aProposals++ === 0)
        return [{ prompt: "A-worse", operator: req.operator, traceIds: [], hardNegativeIds: [] }];
      return [];
    };
    const steps: { label: string; evals: number }[] = [];
    const result = await optimize(config({ search: { ...config().search, rounds: 2 } }), workers, {
      onStep: (e) => {
        steps.push({ label: e.label, evals: workers.evaluations.length });
      },
    });
    const rows = result.state.trajectory;
    expect(result.state.prompts.b).not.toBe("B");
    expect(rows.filter((r) => r.agent === "b").every((r) => !r.beam_refresh_triggered)).toBe(true);
    expect(rows.some((r) => r.agent === "a" && r.beam_refresh_triggered)).toBe(true);
    // After initialisation, the only evaluations of a are refreshes of "A-worse" against a's best, "A".
    const afterInit = steps.find((s) => s.label === "init c")?.evals ?? 0;
    const aRefreshes = workers.evaluations.slice(afterInit).filter((e) => e.agentId === "a");
    expect(aRefreshes.length).toBeGreaterThan(0);
    for (const e of aRefreshes)
      expect({ candidate: e.candidate, reference: e.reference }).toEqual({ candidate: "A-worse", reference: "A" });
  });

  it("keeps each agent's best when its children only tie it, so no other agent's context moves", async () => {
    // Every proposal is a paraphrase (same quality): it scores exactly its parent's J.
    const workers = toyWorkers();
    workers.mutate = async (req) => [
      { prompt: `${req.parent} (rephrased ${req.seed % 1000})`, operator: req.operator, traceIds: [], hardNegativeIds: [] },
    ];
    const result = await optimize(config({ search: { ...config().search, rounds: 3 } }), workers);
    expect(result.state.prompts).toEqual({ a: "A", b: "B", c: "C" });
    expect(result.state.trajectory.some((r) => r.best_changed || r.beam_refresh_triggered)).toBe(false);
  });

  it("does not make a candidate the global best when it wins only locally in a graph whose final answers are all wrong, unless scoring is local-only", async () => {
    // Every better-looking child wins its own output and ties every successor and final answer, all wrong: a trap in a collapsed graph.
    const localWins = (workers: ReturnType<typeof toyWorkers>) => {
      const evaluate = workers.evaluate.bind(workers);
      workers.evaluate = async (req) => {
        const e = await evaluate(req);
        return {
          ...e,
          R: 0.25 * e.lenses.local + 0.75 * 0.5,
          finalMetric: 0,
          lenses: { ...e.lenses, lookahead: e.lenses.lookahead === null ? null : 0.5, global: 0.5 },
        };
      };
      return workers;
    };
    const joint = await optimize(config({ search: { ...config().search, rounds: 3 } }), localWins(toyWorkers()));
    expect(joint.state.prompts).toEqual({ a: "A", b: "B", c: "C" });
    expect(Object.values(joint.state.beams).some((beam) => beam.some((m) => m.J > 0))).toBe(true);
    const alone = await optimize(
      config({ search: { ...config().search, rounds: 3 }, ablations: { ...NO_ABLATIONS, independent: true } }),
      localWins(toyWorkers()),
    );
    expect(alone.state.prompts).not.toEqual({ a: "A", b: "B", c: "C" });
  });

  it("never refreshes under the no-refresh ablation", async () => {
    const result = await optimize(config({ ablations: { ...NO_ABLATIONS, noRefresh: true } }), toyWorkers());
    expect(result.state.trajectory.every((r) => !r.beam_refresh_triggered)).toBe(true);
  });

  it("gives the same final prompts for the same seed, and resumes from any checkpoint to the same result", async () => {
    const full = await optimize(config(), toyWorkers());
    const again = await optimize(config(), toyWorkers());
    expect(again.finalPrompts).toEqual(full.finalPrompts);

    const checkpoints: RunState[] = [];
    await expect(
      optimize(config(), toyWorkers(), {
        onStep: (e) => {
          checkpoints.push(structuredClone(e.state));
          if (e.index === 6) throw new Error("coordinator killed");
        },
      }),
    ).rejects.toThrow("coordinator killed");
    const resumed = await optimize(config(), toyWorkers(), {}, checkpoints.at(-1));
    expect(resumed.finalPrompts).toEqual(full.finalPrompts);
    expect(resumed.state.trajectory).toEqual(full.state.trajectory);
  });

  it("improves the toy system's train metric over the baseline", async () => {
    const result = await optimize(config({ search: { ...config().search, rounds: 4 } }), toyWorkers());
    expect(result.state.bestTrainMetric).toBeGreaterThan(result.state.orientation?.trainMetric ?? 1);
  });

  it("returns the best prompt set it measured, not the last, when a later round regresses", async () => {
    // Evaluations keep rewarding more "+" marks, but the system breaks once a's prompt has more than one.
    const workers = toyWorkers();
    const run = workers.runGraph.bind(workers);
    workers.runGraph = async (req) => {
      const t = await run(req);
      return quality(req.prompts.a ?? "") > 1 ? { ...t, finalScore: 0 } : t;
    };
    const result = await optimize(config({ search: { ...config().search, rounds: 4 } }), workers);
    const last = result.state.rounds.at(-1)?.trainMetric ?? 1;
    expect(last).toBeLessThan(result.state.bestTrainMetric);
    expect(result.finalPrompts).toEqual(result.state.bestPrompts);
    expect(quality(result.finalPrompts.a ?? "")).toBeLessThanOrEqual(1);
    expect(result.finalPrompts).not.toEqual(result.state.prompts);
  });

  it("stops at the deadline and says so", async () => {
    let t = 0;
    const result = await optimize(config(), toyWorkers(), { now: () => (t += 1000) });
    expect(result.state.stopReason).toBe("all rounds done");
    t = 0;
    const late = await optimize(config({ stop: { ...config().stop, deadlineAt: 3500 } }), toyWorkers(), { now: () => (t += 1000) });
    expect(late.state.stopReason).toBe("deadline reached");
  });

  it("keeps the deadline of the run's first start on resume: a resumed run does not get a new one", async () => {
    // The run starts at t=0 with 10 s; it is killed after its 5th step and resumed at t=9 s, when a
    // restarted deadline would again be 10 s away.
    const first = config({ stop: { ...config().stop, deadlineAt: 10_000 } });
    const checkpoints: RunState[] = [];
    await expect(
      optimize(first, toyWorkers(), {
        now: () => 0,
        onStep: (e) => {
          checkpoints.push(structuredClone(e.state));
          if (e.index === 4) throw new Error("coordinator killed");
        },
      }),
    ).rejects.toThrow("coordinator killed");
    expect(checkpoints.at(-1)?.deadlineAt).toBe(10_000);
    let t = 9_000;
    const resumedAt = config({ stop: { ...config().stop, deadlineAt: 9_000 + 10_000 } });
    const resumed = await optimize(resumedAt, toyWorkers(), { now: () => (t += 500) }, checkpoints.at(-1));
    expect(resumed.state.stopReason).toBe("deadline reached");
    expect(resumed.state.nextStep).toBe(6);
    expect(resumed.state.deadlineAt).toBe(10_000);
    // A checkpoint written before the deadline was kept has none: its deadline starts again.
    const { deadlineAt: _dropped, ...older } = checkpoints.at(-1) as RunState;
    t = 9_000;
    const fromOld = await optimize(resumedAt, toyWorkers(), { now: () => (t += 500) }, older);
    expect(fromOld.state.stopReason).toBe("all rounds done");
  });

  it("mines only a step's strongest casesPerStep cases of the agent into the buffer, not every case the step saw", async () => {
    // Every evaluation reports a misalignment case on each example of its minibatch (4), with strengths
    // 0.1–0.4; a step sees more cases than casesPerStep (2), and the buffer budget (100) never binds.
    const workers = toyWorkers();
    const evaluate = workers.evaluate.bind(workers);
    workers.evaluate = async (req) => {
      const e = await evaluate(req);
      const cases = req.minibatch.map((ex, i) => ({
        id: `${req.agentId}|${req.candidate}|${ex.id}`,
        agentId: req.agentId,
        promptVersion: req.candidate,
        exampleId: ex.id,
        source: "evaluation" as const,
        lostOn: "global" as const,
        traceExcerpt: { input: ex.input, output: "o", downstream: "d" },
        failureCaused: "wrong",
        category: "global:wrong-final-answer",
        strength: (i + 1) / 10,
      }));
      return { ...e, cases };
    };
    const result = await optimize(config({ misalignment: { bufferBudget: 100, casesPerStep: 2 } }), workers);
    for (const agent of ["a", "b", "c"]) {
      // Beam initialisation is one mining step: its single child's 4 cases yield the 2 strongest.
      const init = result.state.buffer.filter((c) => c.agentId === agent && c.round === 0);
      expect(init.map((c) => c.strength).sort()).toEqual([0.3, 0.4]);
      // A later round mines at most three times per agent (refresh, the step, the round-end refresh).
      for (const round of [1, 2]) {
        expect(result.state.buffer.filter((c) => c.agentId === agent && c.round === round).length).toBeLessThanOrEqual(6);
      }
    }
  });

  it("does not promote a candidate that breaks the final-metric floor, and records the guard", async () => {
    const result = await optimize(
      config({ guards: { finalMetricFloor: 1.01, localValidityFloor: null, tokensPerRoundMax: null } }),
      toyWorkers(),
    );
    expect(result.finalPrompts).toEqual({ a: "A", b: "B", c: "C" });
    expect(result.state.guardEvents.some((g) => g.guard === "finalMetricFloor")).toBe(true);
  });

  describe("without labels (the train metric is the judged win rate against the baseline graph)", () => {
    const unlabelled = train.map(({ label: _label, ...e }) => e);

    it("starts at one half, judges each round's final answers against the baseline's, and returns the best set", async () => {
      const workers = toyWorkers();
      const result = await optimize(config({ train: unlabelled, measure: "judge-vs-baseline" }), workers);
      expect(result.state.orientation?.trainMetric).toBe(0.5);
      expect(result.state.rounds.map((r) => r.trainMetric)).toEqual([1, 1]);
      expect(result.state.bestRound).toBe(1);
      expect(Object.values(result.finalPrompts).reduce((n, p) => n + quality(p), 0)).toBeGreaterThan(0);
      // every comparison's reference is the baseline graph's final answer (the initial prompts' total: 0)
      expect(new Set(workers.comparisons.map((c) => c.reference.output))).toEqual(new Set(["0"]));
      expect(workers.comparisons.filter((c) => c.candidate.output !== "0").length).toBeGreaterThan(0);
    });

    it("runs out of patience when no round beats the baseline, and returns the initial set", async () => {
      const workers = toyWorkers();
      workers.mutate = async (req) => [
        { prompt: `${req.parent}-${req.seed % 1000}`, operator: req.operator, traceIds: [], hardNegativeIds: [] },
      ];
      const result = await optimize(
        config({
          train: unlabelled,
          measure: "judge-vs-baseline",
          search: { ...config().search, rounds: 5 },
          stop: { ...config().stop, patience: 2 },
        }),
        workers,
      );
      expect(result.state.rounds.map((r) => r.trainMetric)).toEqual([0.5, 0.5]);
      expect(result.state.stopReason).toBe("no global improvement for 2 rounds");
      expect(result.finalPrompts).toEqual({ a: "A", b: "B", c: "C" });
    });

    it("a labelled run never asks for a judged comparison", async () => {
      const workers = toyWorkers();
      await optimize(config(), workers);
      expect(workers.comparisons).toHaveLength(0);
    });
  });
});

describe("optimize: orientation steers the first round (orientation.ts)", () => {
  // The toy judge's global lens, reshaped per agent: a better prompt of `strong` moves the system a lot,
  // one of any other agent a little — so `strong` is the agent that constrains global performance.
  function constrainedBy(strong: string) {
    const workers = toyWorkers();
    const evaluate = workers.evaluate.bind(workers);
    workers.evaluate = async (req) => {
      const e = await evaluate(req);
      const better = e.R > 0.5;
      return { ...e, lenses: { ...e.lenses, global: better ? (req.agentId === strong ? 0.95 : 0.55) : e.lenses.global } };
    };
    return workers;
  }
  async function roundOneOrder(strong: string): Promise<{ order: string[]; state: RunState }> {
    const order: string[] = [];
    const { state } = await optimize(config({ initialPrompts: { a: "A+", b: "B", c: "C+" } }), constrainedBy(strong), {
      onStep: (e) => {
        if (e.step.kind === "agent" && e.step.epoch === 1 && e.step.round === 1) order.push(e.step.agent);
      },
    });
    return { order, state };
  }

  it("starts the first round with the agent that constrains the system when it is not the first in topological order", async () => {
    const { order, state } = await roundOneOrder("b");
    expect(state.orientation?.constrainingAgent).toBe("b");
    expect(state.orientation?.frontier).toBe("b");
    // The baseline's absolute rates: every toy agent answers, and a sink has no successors to feed.
    expect(state.orientation?.baseline).toEqual({
      a: { usableOutput: 1, successorsUsable: 1 },
      b: { usableOutput: 1, successorsUsable: 1 },
      c: { usableOutput: 1, successorsUsable: null },
    });
    expect(state.orientation?.headroom?.b?.global).toBeGreaterThan(
      (state.orientation?.headroom?.a?.global ?? 0) + (state.orientation?.margin ?? 0),
    );
    expect(order).toEqual(["b", "a", "c"]);
    // Only the first round: the second keeps the topological order.
    expect(state.trajectory.filter((r) => r.round === 2).map((r) => r.agent)).toEqual(["a", "b", "c"]);
  });

  it("keeps the topological order when the first agent constrains the system", async () => {
    const { order, state } = await roundOneOrder("a");
    expect(state.orientation?.constrainingAgent).toBe("a");
    expect(state.orientation?.frontier).toBeNull();
    expect(order).toEqual(["a", "b", "c"]);
  });

  it("plans the same steps on resume from a checkpoint taken after orientation chose its frontier", async () => {
    const states: RunState[] = [];
    const full = await optimize(config({ initialPrompts: { a: "A+", b: "B", c: "C+" } }), constrainedBy("b"), {
      onStep: (e) => void states.push(structuredClone(e.state)),
    });
    const afterInit = states.find((s) => s.orientation?.frontier === "b" && s.nextStep === 4);
    if (!afterInit) throw new Error("no checkpoint right after the last init step");
    const resumed = await optimize(config({ initialPrompts: { a: "A+", b: "B", c: "C+" } }), constrainedBy("b"), {}, afterInit);
    expect(resumed.finalPrompts).toEqual(full.finalPrompts);
    expect(resumed.state.trajectory).toEqual(full.state.trajectory);
  });
});

describe("optimize: the record of the search (candidate-log.ts)", () => {
  it("records every evaluated candidate with its lenses, lineage and verdict; every promotion is a recorded candidate's", async () => {
    const workers = toyWorkers();
    const mutate = workers.mutate.bind(workers);
    const proposed: string[] = [];
    workers.mutate = async (req) => {
      const out = await mutate(req);
      proposed.push(...out.map((p) => `${req.agentId}:${p.prompt}`));
      return out;
    };
    const { state } = await optimize(config({ search: { ...config().search, rounds: 3 } }), workers);
    const candidates = state.candidates ?? [];
    // The toy mutator never repeats a prompt: every proposal was evaluated, and each is recorded once.
    expect(candidates.map((c) => `${c.agent}:${c.prompt}`).sort()).toEqual([...new Set(proposed)].sort());
    for (const c of candidates) {
      expect(c.lenses.local).toBeGreaterThanOrEqual(0);
      expect(c.lenses.lookahead === null).toBe(c.agent === "c");
      expect(c.parent).not.toBe(c.version);
      expect(c.why.length).toBeGreaterThan(0);
    }
    const promoted = candidates.filter((c) => c.verdict === "promoted").map((c) => `${c.agent}:${c.version}`);
    const viaStep = (state.promotions ?? []).filter((p) => p.via !== "refresh").map((p) => `${p.agent}:${p.to}`);
    expect(promoted.sort()).toEqual(viaStep.sort());
    expect(promoted.length).toBeGreaterThan(0);
    // Each agent's best is its initial prompt or a recorded candidate that was promoted.
    for (const [agent, version] of Object.entries(state.best)) {
      const c = candidates.find((x) => x.agent === agent && x.version === version);
      if (c) expect(c.verdict === "promoted" || c.promotedLater.length > 0).toBe(true);
    }
    // A rejected candidate is in no beam.
    for (const c of candidates.filter((x) => x.verdict === "rejected")) {
      expect((state.beams[c.agent] ?? []).some((m) => m.version === c.version)).toBe(false);
    }
  });

  it("chains each candidate's margins back to the initial prompt: a child of the initial prompt's anchor is its own margins", async () => {
    const { state } = await optimize(config(), toyWorkers());
    const initial = new Set(Object.values(config().initialPrompts).map((p) => promptVersion(p)));
    const children = (state.candidates ?? []).filter((c) => initial.has(c.parent));
    expect(children.length).toBeGreaterThan(0);
    for (const c of children) {
      expect(c.vsInitial?.local).toBeCloseTo(c.lenses.local - 0.5);
      // At initialisation the root's J is 0, so the chained composite is the child's own J.
      if (c.round === 0) expect(c.vsInitial?.composite).toBeCloseTo(c.J);
    }
    // A grandchild adds its own margin to its parent's anchor.
    const byVersion = new Map((state.candidates ?? []).map((c) => [`${c.agent}:${c.version}`, c]));
    const grand = (state.candidates ?? []).filter(
      (c) => byVersion.get(`${c.agent}:${c.parent}`)?.vsInitial && c.vsInitial?.via === "parent",
    );
    for (const c of grand) {
      const p = byVersion.get(`${c.agent}:${c.parent}`);
      if (!p?.vsInitial || c.vsInitial === null) continue;
      expect(c.vsInitial.global).toBeCloseTo(p.vsInitial.global + c.lenses.global - 0.5);
    }
  });

  it("blocks every promotion a guard floor refuses: the candidate is kept as a parent, the floor named where it happened", async () => {
    const { state } = await optimize(
      config({ guards: { finalMetricFloor: null, localValidityFloor: 0.95, tokensPerRoundMax: null } }),
      toyWorkers(),
    );
    const held = (state.candidates ?? []).filter((c) => c.why.includes("would break localValidityFloor"));
    expect(held.length).toBeGreaterThan(0);
    for (const c of held) {
      expect(c.verdict).toBe("kept");
      expect((state.promotions ?? []).some((p) => p.to === c.version && p.round === c.round)).toBe(false);
    }
    expect(state.guardEvents.filter((g) => g.guard === "localValidityFloor").length).toBeGreaterThanOrEqual(held.length);
  });

  it("records per round the current graph's versions, the best so far (never decreasing) and |ℬ_mis| per agent", async () => {
    const { state } = await optimize(config({ search: { ...config().search, rounds: 3 } }), toyWorkers());
    expect(state.rounds.length).toBe(3);
    let best = Number.NEGATIVE_INFINITY;
    for (const r of state.rounds) {
      expect(Object.keys(r.versions ?? {}).sort()).toEqual(["a", "b", "c"]);
      expect(r.bestTrainMetric ?? -1).toBeGreaterThanOrEqual(best);
      best = r.bestTrainMetric ?? best;
      expect(Object.values(r.bufferByAgent ?? {}).reduce((a, b) => a + b, 0)).toBe(r.bufferSize);
    }
    expect(state.rounds.at(-1)?.versions).toEqual(state.best);
  });
});

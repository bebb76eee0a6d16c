/**
 * Checks that tie settings together: joint reward weights that sum to 1 and justify any departure
 * from the method's defaults, a stated reason for any departure from its starting config (K, T, E,
 * operators, buffer budget, patience: starting-config.ts), a JetStream redelivery limit that leaves room for every backoff step,
 * and a step plan of bounded length (each field is bounded alone; their product must be too).
 */
import type { Issue } from "../errors.js";
import { DEFAULT_WEIGHTS, SPEC_LIMITS } from "./schema.js";
import type { SpecSketch } from "./spec-sketch.js";
import { checkStartingConfig } from "./starting-config.js";

const SUM_TOLERANCE = 1e-6;

function checkWeights(sketch: SpecSketch): Issue[] {
  const w = sketch.weights;
  if (w === undefined) return [];
  const issues: Issue[] = [];
  const sum = w.local + w.lookahead + w.global;
  if (Math.abs(sum - 1) > SUM_TOLERANCE) {
    issues.push({
      path: "weights",
      expected: "local + lookahead + global = 1",
      found: `${w.local} + ${w.lookahead} + ${w.global} = ${Number(sum.toFixed(9))}`,
    });
  }
  const isDefault = w.local === DEFAULT_WEIGHTS.local && w.lookahead === DEFAULT_WEIGHTS.lookahead && w.global === DEFAULT_WEIGHTS.global;
  if (!isDefault && (w.reason === undefined || w.reason.trim() === "")) {
    issues.push({
      path: "weights.reason",
      expected: `a reason for overriding the default weights ${DEFAULT_WEIGHTS.local}/${DEFAULT_WEIGHTS.lookahead}/${DEFAULT_WEIGHTS.global}`,
      found: w.reason === undefined ? "no reason" : "an empty reason",
      hint: 'say why, or use weights: { preset: "paper" } for the paper\'s 0.4/0.4/0.2',
    });
  }
  return issues;
}

function checkCluster(sketch: SpecSketch): Issue[] {
  const c = sketch.cluster;
  if (c === undefined || c.maxDeliver > c.backoffMs.length) return [];
  return [
    {
      path: "cluster.maxDeliver",
      expected: `more deliveries than backoff steps (cluster.backoffMs has ${c.backoffMs.length}), i.e. at least ${c.backoffMs.length + 1}`,
      found: String(c.maxDeliver),
    },
  ];
}

/**
 * The run plans orientation, one init per agent, and per epoch and round every agent's steps and a
 * round end, all up front (and checkpoints after each): a plan of millions of steps is a typo.
 */
function checkPlanLength(sketch: SpecSketch): Issue[] {
  const s = sketch.search;
  const agents = sketch.agents.length;
  if (s === undefined || agents === 0) return [];
  const steps = 1 + agents + s.epochs * s.rounds * (agents * s.stepsPerAgent + 1);
  if (steps <= SPEC_LIMITS.plannedSteps) return [];
  return [
    {
      path: "search",
      expected: `a run of at most ${SPEC_LIMITS.plannedSteps} planned steps (1 + agents + epochs × rounds × (agents × stepsPerAgent + 1))`,
      found: `${steps} steps: ${agents} agents, epochs ${s.epochs}, rounds ${s.rounds}, stepsPerAgent ${s.stepsPerAgent}`,
      hint: "lower search.rounds, search.epochs or search.stepsPerAgent",
    },
  ];
}

export function checkSettings(sketch: SpecSketch): Issue[] {
  return [...checkWeights(sketch), ...checkStartingConfig(sketch.startingSections), ...checkCluster(sketch), ...checkPlanLength(sketch)];
}

/**
 * Checks that tie settings together: joint reward weights that sum to 1 and justify any departure
 * from the method's defaults, and a JetStream redelivery limit that leaves room for every backoff step.
 */
import type { Issue } from "../errors.js";
import { DEFAULT_WEIGHTS } from "./schema.js";
import type { SpecSketch } from "./spec-sketch.js";

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

export function checkSettings(sketch: SpecSketch): Issue[] {
  return [...checkWeights(sketch), ...checkCluster(sketch)];
}

/**
 * Builds the report data from the final run state and the post-optimization measurements
 * (held-out baseline and final, per-agent deltas, unrepaired cases). Pure: the numbers are
 * measured elsewhere; here they are only put in the method's six sections.
 */
import type { FinalMeasure } from "../final-measure.js";
import type { RunState } from "../run-state.js";
import type { Report } from "./report-schema.js";

/**
 * A case at or below this strength only just passed the detector (local ≥ 0.75 against downstream
 * ≤ 0.25 is 0.5; trace-only cases count half): the lenses barely told the prompts apart, so it is
 * reported as ambiguous rather than as a budget problem.
 */
const AMBIGUOUS_STRENGTH = 0.5;

export interface UnrepairedCase {
  agentId: string;
  exampleId: string;
  category: string;
  /** The final prompts' system outcome on the case's example (1 = now correct). */
  finalScore: number | null;
  /** Whether the agent's predecessors gave it an empty or failed input on that example. */
  upstreamFailed: boolean;
  /** The case's strength: its local margin minus its downstream margin, in [0, 1]. */
  strength: number;
}

export interface BuildReportInput {
  title: string;
  state: RunState;
  initialPrompts: Record<string, string>;
  /** measure: the task metric unless said; malformedVerdicts: the finish's own unreadable verdicts (label-free). */
  heldOut: { baseline: number; final: number; examples: number; hash: string; measure?: FinalMeasure; malformedVerdicts?: number };
  /** What the round metrics on the train pool measure (default: the task metric). */
  trainMeasure?: FinalMeasure;
  /** The run's finalMetricFloor guard, to tell a floor above the baseline from a topology problem. */
  finalMetricFloor?: number | null;
  perAgent: Report["delta"]["perAgent"];
  unrepaired: readonly UnrepairedCase[];
  models: Report["models"];
  ablations: string[];
  cost: Report["cost"];
  seed: number;
  specHash: string;
  world?: string;
  /** The dataset's split, when one file was split by ratio. */
  split?: NonNullable<Report["split"]>;
  /** The run ended on a budget, deadline or round limit rather than on convergence. */
  budgetBound: boolean;
  /** The run was replayed from a recording: the report says so (its cost is the recorded one). */
  replay?: NonNullable<Report["replay"]>;
}

export function categoryTrends(state: RunState): Report["misalignment"]["topCategories"] {
  const last = state.rounds.at(-1)?.categories ?? {};
  const first = state.rounds[0]?.categories ?? {};
  const finalCounts = new Map<string, number>();
  for (const c of state.buffer) finalCounts.set(c.category, (finalCounts.get(c.category) ?? 0) + 1);
  return [...finalCounts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 3)
    .map(([category, count]) => {
      const before = first[category];
      const after = last[category] ?? count;
      const trend = before === undefined ? "new" : after > before ? "grew" : after < before ? "shrank" : "unchanged";
      return { category, count, trend };
    });
}

export function buildReport(input: BuildReportInput): Report {
  const { state, heldOut } = input;
  const measure = heldOut.measure ?? "task-metric";
  const absolute = heldOut.final - heldOut.baseline;
  const seen = new Set<string>();
  const remainingFailures: Report["remainingFailures"] = input.unrepaired
    .filter((c) => c.finalScore !== 1)
    .filter((c) => {
      // One line per agent, example and failure signature, however many lenses flagged it.
      const key = `${c.agentId}\u0000${c.exampleId}\u0000${c.category.replace(/^[a-z]+:/, "")}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((c) => {
      const why = c.upstreamFailed ? "missing context" : c.strength <= AMBIGUOUS_STRENGTH ? "ambiguity" : "budget";
      const detail =
        why === "missing context"
          ? `${c.agentId} got an empty or failed input from its predecessors on ${c.exampleId}`
          : why === "ambiguity"
            ? `the evidence on ${c.exampleId} is as weak as a case can be (strength ${c.strength.toFixed(2)}): the lenses barely told the prompts apart`
            : `not repaired within the run's budget (${state.stopReason ?? "rounds"})`;
      return { agentId: c.agentId, exampleId: c.exampleId, category: c.category, why, detail };
    });

  const recommendations: string[] = [];
  const orientation = state.orientation;
  // A floor the baseline itself misses refuses every candidate that does not clear it in one step:
  // then the floor, not the topology, is why nothing improved.
  const floor = input.finalMetricFloor ?? null;
  const floorBlocked =
    floor !== null &&
    orientation !== null &&
    orientation.trainMetric < floor &&
    state.bestRound === 0 &&
    state.guardEvents.some((g) => g.guard === "finalMetricFloor");
  if (floorBlocked) {
    recommendations.push(
      `guards.finalMetricFloor ${floor} is above the baseline's own train metric (${(orientation.trainMetric * 100).toFixed(1)}%): every candidate below the floor was refused, so no round could improve on the baseline. Set the floor at or below the baseline's metric, or null.`,
    );
  } else if (orientation?.constrainingAgent) {
    const d = input.perAgent[orientation.constrainingAgent];
    if (d && d.global <= 0.05) {
      recommendations.push(
        `${orientation.constrainingAgent} constrains global performance and barely moved: consider a topology change (a verifier or critic agent after it, or splitting its role).`,
      );
    }
  }
  if (remainingFailures.some((f) => f.why === "missing context")) {
    recommendations.push(
      "Some failures come from missing upstream context: give the affected agent another predecessor, or a new agent that supplies what it lacks.",
    );
  }
  if (input.state.malformedVerdicts > 0 || remainingFailures.some((f) => f.why === "ambiguity")) {
    recommendations.push(
      `The judge was unsure or malformed (${input.state.malformedVerdicts} malformed verdicts): run a calibration check or try another evaluation model.`,
    );
  }
  if (input.budgetBound || state.trajectory.slice(-new Set(state.trajectory.map((r) => r.agent)).size).some((r) => r.best_changed)) {
    recommendations.push("Bests were still moving when the run ended: a larger beam (K) or more rounds should pay.");
  }
  if (categoryTrends(state).some((c) => c.trend === "grew")) {
    recommendations.push(
      "A misalignment category grew during the run: raise the buffer budget or the lookahead weight (with a stated reason).",
    );
  }
  if (absolute <= 0) {
    recommendations.push("No held-out gain: check the train/held-out split for distribution shift, and try a stronger optimizer model.");
  }
  if (recommendations.length === 0)
    recommendations.push("Converged within budget: try a harder held-out set or a cheaper serving model with the same prompts.");

  return {
    title: input.title,
    finalPrompts: { ...state.bestPrompts },
    finalRound: state.bestRound,
    initialPrompts: { ...input.initialPrompts },
    trajectory: state.trajectory,
    rounds: state.rounds.map((r) => ({
      round: r.round,
      trainMetric: r.trainMetric,
      bufferSize: r.bufferSize,
      calls: r.calls,
      tokens: r.tokens,
    })),
    trainMeasure: input.trainMeasure ?? "task-metric",
    misalignment: { count: state.buffer.length, topCategories: categoryTrends(state) },
    delta: {
      heldOut: {
        measure,
        baseline: heldOut.baseline,
        final: heldOut.final,
        absolute,
        // A change in a win rate relative to ½ means nothing: only an accuracy has a relative gain.
        relative: measure !== "task-metric" || heldOut.baseline === 0 ? null : absolute / heldOut.baseline,
        examples: heldOut.examples,
        hash: heldOut.hash,
      },
      perAgent: input.perAgent,
    },
    remainingFailures,
    recommendations,
    orientation: orientation
      ? { trainMetric: orientation.trainMetric, weakestLens: orientation.weakestLens, constrainingAgent: orientation.constrainingAgent }
      : null,
    guards: state.guardEvents,
    stopReason: state.stopReason ?? "unknown",
    models: input.models,
    ablations: input.ablations,
    cost: input.cost,
    seed: input.seed,
    specHash: input.specHash,
    ...(input.world !== undefined ? { world: input.world } : {}),
    ...(input.split !== undefined ? { split: input.split } : {}),
    malformedVerdicts: state.malformedVerdicts + (heldOut.malformedVerdicts ?? 0),
    ...(input.replay !== undefined ? { replay: input.replay } : {}),
  };
}

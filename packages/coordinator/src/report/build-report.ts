/**
 * Builds the report data from the final run state and the post-optimization measurements
 * (held-out baseline and final, per-agent deltas, unrepaired cases). Pure: the numbers are
 * measured elsewhere; here they are only put in the method's six sections.
 */
import { type LlmAccountingRow, type UsageTotals, promptVersion, usageTotalsOf } from "@maspo/core";
import type { FinalMeasure } from "../final-measure.js";
import type { RunState } from "../run-state.js";
import { stopKind } from "../stop-kind.js";
import type { HeldOutFailures } from "./held-out-failures.js";
import { misalignmentSummary } from "./misalignment-summary.js";
import { orientationChange } from "./report-text.js";
import { recommendationsFor } from "./recommendations.js";
import { REPORT_UNITS, type Report } from "./report-schema.js";

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
  /** The round it was mined in, and its id in ℬ_mis (absent from callers before re-tests were reported). */
  round?: number;
  caseId?: string;
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
  /** The run's localValidityFloor guard, checked on the returned set's per-agent local win rates against the initial prompts. */
  localValidityFloor?: number | null;
  perAgent: Report["delta"]["perAgent"];
  unrepaired: readonly UnrepairedCase[];
  /** The held-out failures of the final prompts, sorted into failure modes (finish.ts). */
  heldOutFailures: HeldOutFailures;
  models: Report["models"];
  ablations: string[];
  cost: UsageTotals;
  /** The run's LLM use per endpoint, model and role, for the cost split (absent: not split). */
  usageRows?: readonly LlmAccountingRow[];
  /** simlm runs: the world's oracle for this held-out split (no calls). */
  oracle?: NonNullable<Report["oracle"]>;
  /** The spec's patience, quoted by a patience stop's recommendation. */
  patience?: number;
  /** The graph's final agent, for the wording of a topology recommendation. */
  finalAgent?: string;
  /** The spec's departures from the method's starting config, with their reasons (quoted in the report). */
  overrides?: Report["overrides"];
  seed: number;
  specHash: string;
  world?: string;
  /** The dataset's split, when one file was split by ratio. */
  split?: NonNullable<Report["split"]>;
  /** Unused since recommendations read the stop reason itself (kept for callers that still pass it). */
  budgetBound?: boolean;
  /** The run was replayed from a recording: the report says so (its cost is the recorded one). */
  replay?: NonNullable<Report["replay"]>;
}

/** The run's cost split by LLM role and by model (endpoint and model name, with its role). */
export function costSplit(rows: readonly LlmAccountingRow[]): Pick<Report["cost"], "byRole" | "byModel"> {
  const group = (key: (r: LlmAccountingRow) => string) => {
    const groups = new Map<string, LlmAccountingRow[]>();
    for (const r of rows) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
    return [...groups.values()].map((g) => ({ first: g[0] as LlmAccountingRow, totals: usageTotalsOf({ rows: g }) }));
  };
  const byRole = Object.fromEntries(group((r) => r.role).map((g) => [g.first.role, g.totals]));
  const byModel = group((r) => `${r.endpointId}\u0000${r.model}\u0000${r.role}`).map((g) => ({
    endpointId: g.first.endpointId,
    model: g.first.model,
    role: g.first.role,
    ...g.totals,
  }));
  return { byRole, byModel };
}

/** A line per agent, example and failure signature, however many lenses flagged it; why it was not repaired. */
function unrepairedCases(input: BuildReportInput): Report["remainingFailures"]["unrepairedCases"] {
  const seen = new Set<string>();
  return input.unrepaired
    .filter((c) => c.finalScore !== 1)
    .filter((c) => {
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
            : `not repaired within the run's budget (${input.state.stopReason ?? "rounds"})`;
      return { agentId: c.agentId, exampleId: c.exampleId, category: c.category, why, detail };
    });
}

/** The report's rounds: every round summary with the fields an older checkpoint lacks filled from what it has. */
function roundsOf(state: RunState): Report["rounds"] {
  let best = state.orientation?.trainMetric ?? Number.NEGATIVE_INFINITY;
  let bestRound = 0;
  return state.rounds.map((r) => {
    if (r.trainMetric > best + 1e-9) {
      best = r.trainMetric;
      bestRound = r.round;
    }
    return {
      round: r.round,
      trainMetric: r.trainMetric,
      bufferSize: r.bufferSize,
      calls: r.calls,
      tokens: r.tokens,
      usd: r.usd,
      bestTrainMetric: r.bestTrainMetric ?? best,
      bestRound: r.bestRound ?? bestRound,
      versions: r.versions ?? {},
      composite: r.composite ?? {},
      bufferByAgent: r.bufferByAgent ?? {},
      ...(r.tokenCap ? { tokenCap: r.tokenCap } : {}),
    };
  });
}

export function buildReport(input: BuildReportInput): Report {
  const { state, heldOut } = input;
  const measure = heldOut.measure ?? "task-metric";
  const absolute = heldOut.final - heldOut.baseline;
  const stopReason = state.stopReason ?? "unknown";
  const kind = stopKind(stopReason);
  const misalignment = misalignmentSummary(state, input.unrepaired);
  const remainingFailures: Report["remainingFailures"] = { heldOut: input.heldOutFailures, unrepairedCases: unrepairedCases(input) };
  const malformedVerdicts = state.malformedVerdicts + (heldOut.malformedVerdicts ?? 0);
  const orientation = state.orientation;
  const finalVersions = new Set(Object.entries(state.bestPrompts).map(([agent, p]) => `${agent}\u0000${promptVersion(p)}`));

  return {
    title: input.title,
    finalPrompts: { ...state.bestPrompts },
    finalRound: state.bestRound,
    initialPrompts: { ...input.initialPrompts },
    units: { ...REPORT_UNITS },
    trajectory: state.trajectory,
    rounds: roundsOf(state),
    candidates: (state.candidates ?? []).map((c) => ({ ...c, final: finalVersions.has(`${c.agent}\u0000${c.version}`) })),
    promotions: state.promotions ?? [],
    trainMeasure: input.trainMeasure ?? "task-metric",
    misalignment,
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
    recommendations: recommendationsFor({
      state,
      stopKind: kind,
      stopReason,
      perAgent: input.perAgent,
      misalignment,
      remaining: remainingFailures,
      absolute,
      malformedVerdicts,
      finalMetricFloor: input.finalMetricFloor ?? null,
      ...(input.patience !== undefined ? { patience: input.patience } : {}),
      ...(input.finalAgent !== undefined ? { finalAgent: input.finalAgent } : {}),
      heldOutJudged: measure === "judge-vs-baseline",
    }),
    orientation: orientation ? { ...orientation, changed: orientationChange(orientation) } : null,
    guards: state.guardEvents,
    floorBreaches: floorBreachesOf(input),
    stopReason,
    stopKind: kind,
    models: input.models,
    ablations: input.ablations,
    overrides: input.overrides ?? [],
    cost: { ...input.cost, ...costSplit(input.usageRows ?? []) },
    errors: {
      failedAttempts: input.cost.failedAttempts,
      retries: input.cost.retries,
      malformedVerdicts,
      heldOutStepFailures: input.heldOutFailures.stepFailures,
    },
    ...(input.oracle !== undefined ? { oracle: input.oracle } : {}),
    seed: input.seed,
    specHash: input.specHash,
    ...(input.world !== undefined ? { world: input.world } : {}),
    ...(input.split !== undefined ? { split: input.split } : {}),
    malformedVerdicts,
    ...(input.replay !== undefined ? { replay: input.replay } : {}),
  };
}

/**
 * The floors the returned set breaks: held-out's task metric against finalMetricFloor (a judged
 * held-out is a win rate, not on the floor's scale: not checked), and each agent's local win rate
 * against its initial prompt (the finish's per-agent delta + ½; an unchanged agent is at ½).
 */
export function floorBreachesOf(
  input: Pick<BuildReportInput, "heldOut" | "perAgent" | "finalMetricFloor" | "localValidityFloor">,
): Report["floorBreaches"] {
  const out: Report["floorBreaches"] = [];
  const final = input.finalMetricFloor ?? null;
  const measure = input.heldOut.measure ?? "task-metric";
  if (final !== null && measure === "task-metric" && input.heldOut.final < final) {
    out.push({ guard: "finalMetricFloor", where: "held-out", measured: input.heldOut.final, floor: final });
  }
  const local = input.localValidityFloor ?? null;
  if (local !== null) {
    for (const [agent, d] of Object.entries(input.perAgent)) {
      if (d.local + 0.5 < local) out.push({ guard: "localValidityFloor", where: agent, measured: d.local + 0.5, floor: local });
    }
  }
  return out;
}

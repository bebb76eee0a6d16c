/**
 * The report's prose that both renderings share: what each trajectory column is measured against,
 * the units, and the one-line summaries of misalignment growth, held-out failures and the oracle.
 * Plain text with Markdown's backticks and bold only where report.html strips them.
 */
import type { Report } from "./report-schema.js";
import type { Orientation } from "../run-state.js";
import { pct, pts, ptsOr } from "./units.js";

export const UNITS_NOTE =
  "rates (accuracies, win rates, lens scores) are percentages with one decimal; deltas and J scores are in points (pts) with one decimal. report.json holds the same numbers as fractions (see its `units`).";

export const TRAJECTORY_NOTE =
  "One row per agent step, its agent's best after it. best_local, best_lookahead and best_global are the best's lens win rates and composite its J, all measured against the prompt in *vs* (its parent when it was proposed, the agent's best at Beam Refresh, or itself — then 50.0% and +0.0 pts); they do not compare across rows. *composite vs initial* chains those margins back to the agent's initial prompt (an estimate without calls: each comparison's margin added to its reference's) and *minibatch metric* is the best's task metric on the step's minibatch (absolute): these two compare across rows.";

export const PER_AGENT_NOTE =
  "Per agent, measured directly at the finish: the final prompt against the initial prompt on a train minibatch, lens win rate − 50% (0 = no change):";

/** |ℬ_mis| over the rounds, and its longest growth. */
export function growthLine(r: Report): string {
  const g = r.misalignment.growth;
  if (g.sizes.length === 0) return "";
  return `|ℬ_mis| at each round end: ${g.sizes.map((s) => `round ${s.round}: ${s.size}`).join(", ")} (it grew at ${g.longestGrowthRounds} consecutive round ends at most).`;
}

/** How many held-out examples still fail, and how many of them the baseline got right. */
export function heldOutFailuresLine(r: Report): string {
  const f = r.remainingFailures.heldOut;
  if (r.delta.heldOut.measure === "judge-vs-baseline") {
    if (f.failed === 0)
      return `On none of the ${f.examples} held-out examples did the final prompts' answer lose to the baseline's (judged).`;
    return `On ${f.failed} of ${f.examples} held-out examples (${pct(f.failed / Math.max(1, f.examples))}) the final prompts' answer lost to the baseline's (judged: no labels). Each is counted once, under the agent and lens its trace points at:`;
  }
  if (f.failed === 0) return `All ${f.examples} held-out examples pass under the final prompts.`;
  return `${f.failed} of ${f.examples} held-out examples (${pct(f.failed / Math.max(1, f.examples))}) still fail under the final prompts; ${f.regressed} of them the baseline got right. Each is counted once, under the agent and lens its trace points at:`;
}

/** The simlm oracle: floor, ceiling and the gap the run closed. */
export function oracleLine(o: NonNullable<Report["oracle"]>): string {
  const expected =
    o.expectedFinal === null || o.expectedGapClosed === null
      ? ""
      : `; the final prompts' expected score is ${pct(o.expectedFinal)}, ${pct(o.expectedGapClosed)} of the gap`;
  const measured =
    o.gapClosed === null
      ? "the held-out result is a judged win rate, not on the oracle's scale"
      : `the measured held-out result closed ${pct(o.gapClosed)} of the gap`;
  return `simlm oracle on this held-out split: floor ${pct(o.floor)} (the initial prompts' expected score), ceiling ${pct(o.ceiling)} (the best prompt set), a gap of ${pts(o.ceiling - o.floor)}; ${measured}${expected}.`;
}

/** The spec's departures from the method's starting config, each with the reason it states. */
export function overridesLine(r: Report): string {
  if (r.overrides.length === 0)
    return "Starting config: the method's defaults (K = 5, T = 10, E = 3, all five operators, a buffer of 50 cases per agent, patience 3).";
  const show = (v: unknown) => (Array.isArray(v) ? `[${v.join(", ")}]` : String(v));
  // One section states one reason for all its overrides: each reason once, after the settings it covers.
  const byReason = new Map<string, string[]>();
  for (const o of r.overrides)
    byReason.set(o.reason, [...(byReason.get(o.reason) ?? []), `${o.setting} = ${show(o.value)} (default ${show(o.default)})`]);
  return `Starting config overridden, with the spec's reasons: ${[...byReason.entries()]
    .map(([reason, settings]) => `${settings.join(", ")} — “${reason}”`)
    .join("; ")}.`;
}

/** One breach of a guard floor by the returned set, in words (Markdown, HTML and the terminal say the same). */
export function floorBreachText(b: Report["floorBreaches"][number]): string {
  return b.guard === "finalMetricFloor"
    ? `guards.finalMetricFloor ${pct(b.floor)}: the returned set scores ${pct(b.measured)} on held-out`
    : `guards.localValidityFloor ${pct(b.floor)}: ${b.where}'s final prompt wins ${pct(b.measured)} locally against its initial prompt`;
}

/** What orientation changed in the run, in one sentence the report can quote. */
export function orientationChange(o: Orientation): string {
  const lead = (agent: string) => o.headroom?.[agent]?.global;
  if (o.frontier) {
    return `${o.frontier} constrains the system (its first mutations moved the global lens ${ptsOr(lead(o.frontier))} against its initial prompt, more than the first agent's by over the noise margin of ${ptsOr(o.margin)}): the first round started with ${o.frontier}, then the topological order.`;
  }
  if (o.constrainingAgent === null) return "No first mutation moved the global lens: the topological order was kept.";
  if (o.headroom === undefined) return "The topological order was kept.";
  return `${o.constrainingAgent} constrains the system most (global ${ptsOr(lead(o.constrainingAgent))} against its initial prompt), but it is the first agent or its lead is within the noise margin (${ptsOr(o.margin)}): the topological order was kept.`;
}

/** Orientation in one paragraph: the baseline, the weakest lens, the constraining agent, what changed. */
export function orientationLine(o: NonNullable<Report["orientation"]>): string {
  const headroom = Object.entries(o.headroom ?? {})
    .map(
      ([agent, h]) => `${agent} local ${pts(h.local)}, lookahead ${h.lookahead === null ? "—" : pts(h.lookahead)}, global ${pts(h.global)}`,
    )
    .join("; ");
  return [
    `Baseline train metric ${pct(o.trainMetric)}.`,
    o.baseline
      ? `Usable outputs (successors' usable given them): ${Object.entries(o.baseline)
          .map(([agent, b]) => `${agent} ${pct(b.usableOutput)}${b.successorsUsable === null ? "" : ` (${pct(b.successorsUsable)})`}`)
          .join(", ")}.`
      : "",
    headroom ? `Headroom per agent (its first mutations' best lens score against its initial prompt, minus the tie): ${headroom}.` : "",
    `Weakest lens: ${o.weakestLens ?? "none"}; constraining agent: ${o.constrainingAgent ?? "none"}.`,
    o.changed,
  ]
    .filter((x) => x.length > 0)
    .join(" ");
}

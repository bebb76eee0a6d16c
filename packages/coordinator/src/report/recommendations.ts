/**
 * Report section 6: the next experiments, read off the rest of the report so that none contradicts
 * it — above all the stop reason: a run that stopped because rounds stopped paying is never told that
 * more rounds should pay, and a run cut short while improving is never told it converged.
 */
import type { RunState } from "../run-state.js";
import { GROWTH_ROUNDS_FOR_TOPOLOGY, growthEvidence } from "./misalignment-summary.js";
import type { Report } from "./report-schema.js";
import { pct, pts } from "./units.js";

export interface RecommendationInput {
  state: RunState;
  stopKind: Report["stopKind"];
  stopReason: string;
  perAgent: Report["delta"]["perAgent"];
  misalignment: Report["misalignment"];
  remaining: Report["remainingFailures"];
  /** Held-out final − baseline. */
  absolute: number;
  malformedVerdicts: number;
  finalMetricFloor: number | null;
  /** The spec's patience, for the wording of a patience stop. */
  patience?: number;
  /** The agent whose output is the system's answer (no successors to re-wire). */
  finalAgent?: string;
  /** Held-out is judged against the baseline (no labels): a failure is a lost comparison. */
  heldOutJudged?: boolean;
}

/** Did any agent's best change in the last round of agent steps? */
function bestsMovedLastRound(state: RunState): boolean {
  const last = state.trajectory.at(-1)?.round;
  return last !== undefined && state.trajectory.some((r) => r.round === last && r.best_changed);
}

/** Did the last round end measure a better train metric than every round before it (the baseline included)? */
function improvedLastRound(state: RunState): boolean {
  const last = state.rounds.at(-1);
  return last !== undefined && state.bestRound === last.round;
}

export function recommendationsFor(input: RecommendationInput): string[] {
  const { state, misalignment, remaining } = input;
  const out: string[] = [];
  const orientation = state.orientation;
  // A floor the baseline itself misses refuses every candidate that does not clear it in one step:
  // then the floor, not the topology, is why nothing improved.
  const floor = input.finalMetricFloor;
  const floorBlocked =
    floor !== null &&
    orientation !== null &&
    orientation.trainMetric < floor &&
    state.bestRound === 0 &&
    state.guardEvents.some((g) => g.guard === "finalMetricFloor");
  if (floorBlocked) {
    out.push(
      `guards.finalMetricFloor ${floor} is above the baseline's own train metric (${pct(orientation.trainMetric)}): every candidate below the floor was refused, so no round could improve on the baseline. Set the floor at or below the baseline's metric, or null.`,
    );
  } else if (orientation?.constrainingAgent) {
    const d = input.perAgent[orientation.constrainingAgent];
    if (d && d.global <= 0.05) {
      out.push(
        `${orientation.constrainingAgent} constrains global performance and barely moved (global ${pts(d.global)} against its initial prompt): consider a topology change (a verifier or critic agent after it, or splitting its role).`,
      );
    }
  }

  // A round cap that cut rounds short: the search ran fewer agent steps than planned (round-token-cap.ts).
  const cut = [...new Set(state.guardEvents.filter((g) => g.guard === "tokensPerRoundMax" && g.agent !== "round end").map((g) => g.round))];
  const cap = state.rounds.find((r) => r.tokenCap)?.tokenCap?.cap;
  if (cut.length > 0 && cap !== undefined) {
    out.push(
      `guards.tokensPerRoundMax ${cap} cut ${cut.length} of ${state.rounds.length} rounds short (round${cut.length > 1 ? "s" : ""} ${cut.join(", ")}: the step that reached the round's ceiling was dropped, the round's later steps skipped): raise it, or set it to null, for every agent to get its steps.`,
    );
  }

  // The escalation protocol: a buffer that keeps growing is misalignment the prompts do not settle.
  const growth = misalignment.growth;
  if (growth.longestGrowthRounds >= GROWTH_ROUNDS_FOR_TOPOLOGY) {
    const byAgent = new Map<string, number>();
    for (const c of misalignment.cases) byAgent.set(c.agent, (byAgent.get(c.agent) ?? 0) + 1);
    const [agent, n] = [...byAgent.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0] ?? ["", 0];
    const open = misalignment.cases.filter((c) => c.repaired !== true).length;
    const where =
      input.finalAgent === agent
        ? `a verifier or critic after ${agent}, before its answer is returned`
        : `a verifier or critic after ${agent}, or another predecessor for its successors`;
    out.push(
      `ℬ_mis grew at ${growth.longestGrowthRounds} consecutive round ends (${growthEvidence(growth.sizes)} cases): new misalignment kept appearing as the prompts changed, most of it at ${agent} (${n} of the ${misalignment.count} cases). Consider a topology change: ${where}. Re-tested under the final prompts, ${open} of the ${misalignment.count} cases still fail.`,
    );
  }

  if (remaining.unrepairedCases.some((f) => f.why === "missing context")) {
    out.push(
      "Some failures come from missing upstream context: give the affected agent another predecessor, or a new agent that supplies what it lacks.",
    );
  }
  if (input.malformedVerdicts > 0 || remaining.unrepairedCases.some((f) => f.why === "ambiguity")) {
    out.push(
      `The judge was unsure or malformed (${input.malformedVerdicts} malformed verdicts): run a calibration check or try another evaluation model.`,
    );
  }

  const held = remaining.heldOut;
  const top = held.modes[0];
  if (held.failed > 0 && top) {
    const who = top.agent === null ? "the system's final answer (global lens)" : `${top.agent} (${top.lens} lens)`;
    out.push(
      `${held.failed} of ${held.examples} held-out examples ${input.heldOutJudged ? "lost to the baseline's answers" : "still fail"}; the largest failure mode (${top.count} examples) points at ${who} — ${top.detail}. Aim the next run there.`,
    );
  }

  const moved = bestsMovedLastRound(state);
  if (input.stopKind === "patience") {
    out.push(
      `The train metric did not improve for ${input.patience ?? "the patience's"} rounds (${input.stopReason}): more rounds of the same search are unlikely to pay.${moved ? " Agents' bests still changed in the last round without lifting it: a larger beam (K) or a stronger optimizer model may find what more rounds would not." : ""}`,
    );
  } else if (input.stopKind === "deadline" || input.stopKind === "budget" || input.stopKind === "all-rounds") {
    if (moved || improvedLastRound(state)) {
      out.push(`The run ended on its limit (${input.stopReason}) while still improving: more rounds, time or budget should pay.`);
    } else {
      out.push(
        `The run ended on its limit (${input.stopReason}) with the train metric flat since round ${state.bestRound}: more of the same is unlikely to pay; try a larger beam (K) or a stronger optimizer model.`,
      );
    }
  } else if (input.stopKind === "target") {
    out.push(
      `The target metric was reached (${input.stopReason}): try a harder held-out set or a cheaper serving model with the same prompts.`,
    );
  }

  const grew = misalignment.topCategories.filter((c) => c.trend === "grew");
  if (grew.length > 0) {
    out.push(
      `Re-tested under the final prompts, misalignment category ${grew.map((c) => `${c.category} (${c.open} open, ${c.firstSeen.count} when first seen in round ${c.firstSeen.round})`).join(", ")} grew: raise the buffer budget or the lookahead weight (with a stated reason).`,
    );
  }
  if (input.absolute <= 0) {
    out.push("No held-out gain: check the train/held-out split for distribution shift, and try a stronger optimizer model.");
  }
  if (out.length === 0)
    out.push("Nothing left to recommend from this run's evidence: try a harder held-out set or a cheaper serving model.");
  return out;
}

/** report.md: the report's six sections, in the method's order, for people. */
import type { Report } from "./report-schema.js";
import {
  PER_AGENT_NOTE,
  TRAJECTORY_NOTE,
  UNITS_NOTE,
  floorBreachText,
  growthLine,
  heldOutFailuresLine,
  oracleLine,
  orientationLine,
  overridesLine,
} from "./report-text.js";
import { type ReportTable, reportTables } from "./report-tables.js";
import { pct, pts, relative, usd } from "./units.js";

/** What the held-out numbers are, in words: a judged win rate is not an accuracy. */
export function measureName(measure: Report["delta"]["heldOut"]["measure"]): string {
  return measure === "judge-vs-baseline" ? "judged win rate vs the baseline" : "final metric";
}

/** How a label-free run's held-out number was measured, for a reader who expects an accuracy. */
export const JUDGED_NOTE = (judge: string): string =>
  `This run has no labels, so this is **not an accuracy**: on each held-out example the final prompt set's final answer was judged against the baseline (initial prompt set)'s final answer by the global judge \`${judge}\`, in both orders (the judge's position bias cancels); a win counts 1, a tie ½, a loss 0. The baseline scores 50.0% against itself by definition; above 50% the final set's answers were preferred. The per-round train numbers are the same measure on the train pool.`;

/** A dataset split from one file: which file, how, and the hash that fingerprints the assignment. */
export function splitLine(s: NonNullable<Report["split"]>): string {
  return `Dataset split: one file, \`${s.file}\`, divided by a seeded draw (held out ${s.heldOutRatio}, seed ${s.seed}) into ${s.train} train and ${s.heldOut} held-out examples; split hash \`${s.hash}\`.`;
}

/** A replayed run's cost line says so: no call was made, the cost shown is the recording's. */
export function replayNote(r: NonNullable<Report["replay"]>): string {
  return `Replayed offline from the recording ${r.recording} (made ${r.recordedAt} by maspo ${r.maspoVersion}): ${r.newCalls} new LLM calls, ${r.exchangesServed} recorded exchanges served; the cost above is the recorded run's.`;
}

function mdTable(t: ReportTable): string[] {
  const cell = (c: string) => c.replace(/\|/g, "\\|");
  return [
    `| ${t.head.map(cell).join(" | ")} |`,
    `| ${t.head.map(() => "---").join(" | ")} |`,
    ...t.rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ];
}

export function renderMarkdown(r: Report): string {
  const out: string[] = [];
  const t = reportTables(r);
  out.push(`# ${r.title}`, "");
  const h = r.delta.heldOut;
  const judged = h.measure === "judge-vs-baseline";
  out.push(
    `**Held-out ${measureName(h.measure)}: ${pct(h.baseline)} → ${pct(h.final)}** (${pts(h.absolute)}${h.relative === null ? "" : `, ${relative(h.relative)} relative`}) on ${h.examples} held-out examples never used for tuning (split hash \`${h.hash}\`).`,
    "",
  );
  if (judged) out.push(JUDGED_NOTE(r.models.evaluator.global), "");
  if (r.oracle) out.push(oracleLine(r.oracle), "");
  if (r.split) out.push(splitLine(r.split), "");
  out.push(
    `Seed ${r.seed} · spec \`${r.specHash}\`${r.world ? ` · simlm world \`${r.world}\` (a simulated test world)` : ""} · stopped: ${r.stopReason}`,
  );
  out.push(
    `Models — optimizer: \`${r.models.optimizer}\`; evaluator: local \`${r.models.evaluator.local}\`, lookahead \`${r.models.evaluator.lookahead}\`, global \`${r.models.evaluator.global}\`; serving: ${Object.entries(
      r.models.serving,
    )
      .map(([a, m]) => `${a} \`${m}\``)
      .join(", ")}`,
  );
  out.push(
    `Cost: ${r.cost.calls} LLM calls, ${r.cost.tokens} tokens, ${usd(r.cost.usd)}, ${r.cost.cacheHits} cache hits, ${r.cost.retries} retries (${r.cost.failedAttempts} failed attempts), ${r.errors.malformedVerdicts} malformed verdicts.${r.replay ? ` ${replayNote(r.replay)}` : ""}${r.ablations.length > 0 ? ` **Ablations: ${r.ablations.join(", ")}** (a benchmarking run, not full MASPO).` : ""}`,
    "",
  );
  if (t.cost.rows.length > 0) out.push(...mdTable(t.cost), "");
  out.push(overridesLine(r), "");
  out.push(`Units: ${UNITS_NOTE}`, "");

  out.push("## 1. Final prompt set", "");
  out.push(
    r.finalRound === 0
      ? "No round beat the initial prompt set on the train pool, so the initial set is returned."
      : `The prompt set of round ${r.finalRound}, the best measured on the train pool.`,
    "",
  );
  for (const [agent, prompt] of Object.entries(r.finalPrompts)) {
    const changed = r.initialPrompts[agent] !== prompt;
    out.push(`### ${agent}${changed ? "" : " (unchanged)"}`, "", "```text", prompt, "```", "");
  }

  out.push("## 2. Optimization trajectory", "");
  if (r.orientation) out.push(`**Orientation.** ${orientationLine(r.orientation)}`, "");
  out.push(TRAJECTORY_NOTE, "");
  out.push(...mdTable(t.trajectory), "");
  if (r.rounds.length > 0) {
    out.push(
      `Per round: the current graph on the whole train pool${r.trainMeasure === "judge-vs-baseline" ? ` (${measureName(r.trainMeasure)})` : ""}, the best so far, each agent's best (prompt version, composite vs its initial prompt), |ℬ_mis| and the run's spend so far.`,
      "",
    );
    out.push(...mdTable(t.rounds), "");
  }
  out.push(
    `${r.candidates.length} candidates evaluated: ${t.verdictCounts}. Each one's lineage, lenses, verdict and why are in report.json (\`candidates\`).`,
    "",
  );

  out.push("## 3. Misalignment cases", "");
  out.push(
    `${r.misalignment.count} cases in the buffer (won locally, lost on lookahead or global); re-tested under the final prompts, ${r.misalignment.cases.filter((c) => c.repaired === true).length} are repaired. ${growthLine(r)}`,
  );
  if (t.categories.rows.length > 0) out.push("", ...mdTable(t.categories));
  out.push("");

  out.push("## 4. Best vs baseline", "");
  out.push(
    `Held-out ${measureName(h.measure)}: baseline ${pct(h.baseline)}, final ${pct(h.final)}, absolute ${pts(h.absolute)}, relative ${relative(h.relative)}.`,
    "",
  );
  out.push(PER_AGENT_NOTE, "");
  out.push(...mdTable(t.perAgent), "");

  out.push("## 5. Remaining failure modes", "");
  out.push(heldOutFailuresLine(r), "");
  if (t.failureModes.rows.length > 0) out.push(...mdTable(t.failureModes), "");
  const unrepaired = r.remainingFailures.unrepairedCases;
  out.push(
    unrepaired.length === 0
      ? "Every high-local, low-global case of ℬ_mis is repaired under the final prompts (train pool)."
      : "High-local, low-global cases of ℬ_mis still failing under the final prompts (train pool):",
  );
  for (const f of unrepaired) out.push(`- **${f.agentId}** on \`${f.exampleId}\` (${f.category}) — ${f.why}: ${f.detail}`);
  if (r.guards.length > 0) {
    out.push("", "Guards that stopped a candidate or a step (round token caps included):");
    for (const g of r.guards) out.push(`- round ${g.round}, ${g.agent}: ${g.guard} — ${g.detail}`);
  }
  if (r.floorBreaches.length > 0) {
    out.push("", "**The returned prompt set breaks a guard floor** (the run exits with status 4):");
    for (const b of r.floorBreaches) out.push(`- ${floorBreachText(b)}`);
  }
  out.push("");

  out.push("## 6. Recommended next experiments", "");
  for (const rec of r.recommendations) out.push(`- ${rec}`);
  out.push("");
  return out.join("\n");
}

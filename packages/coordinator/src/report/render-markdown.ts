/** report.md: the report's six sections, in the method's order, for people. */
import type { Report } from "./report-schema.js";

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number | null) => (x === null ? "—" : x.toFixed(3));
const signed = (x: number | null) => (x === null ? "—" : `${x >= 0 ? "+" : ""}${x.toFixed(3)}`);
const points = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)} points`;
const relPct = (x: number | null) => (x === null ? "—" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`);

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

export function renderMarkdown(r: Report): string {
  const out: string[] = [];
  out.push(`# ${r.title}`, "");
  const h = r.delta.heldOut;
  const judged = h.measure === "judge-vs-baseline";
  out.push(
    `**Held-out ${measureName(h.measure)}: ${pct(h.baseline)} → ${pct(h.final)}** (${points(h.absolute)}${h.relative === null ? "" : `, ${relPct(h.relative)} relative`}) on ${h.examples} held-out examples never used for tuning (split hash \`${h.hash}\`).`,
    "",
  );
  if (judged) out.push(JUDGED_NOTE(r.models.evaluator.global), "");
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
    `Cost: ${r.cost.calls} LLM calls, ${r.cost.tokens} tokens, $${r.cost.usd.toFixed(4)}, ${r.cost.cacheHits} cache hits, ${r.cost.retries} retries (${r.cost.failedAttempts} failed attempts).${r.replay ? ` ${replayNote(r.replay)}` : ""}${r.ablations.length > 0 ? ` **Ablations: ${r.ablations.join(", ")}** (a benchmarking run, not full MASPO).` : ""}`,
    "",
  );

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
  out.push("| round | agent | best_local | best_lookahead | best_global | composite | beam_refresh_triggered |");
  out.push("| --- | --- | --- | --- | --- | --- | --- |");
  for (const t of r.trajectory) {
    out.push(
      `| ${t.round} | ${t.agent} | ${num(t.best_local)} | ${num(t.best_lookahead)} | ${num(t.best_global)} | ${signed(t.composite)} | ${t.beam_refresh_triggered ? "yes" : "no"} |`,
    );
  }
  if (r.rounds.length > 0) {
    out.push(
      "",
      `Per round (train pool${r.trainMeasure === "judge-vs-baseline" ? `, ${measureName(r.trainMeasure)}` : ""}): ` +
        r.rounds.map((x) => `round ${x.round} ${pct(x.trainMetric)} (buffer ${x.bufferSize})`).join("; ") +
        ".",
    );
  }
  out.push("");

  out.push("## 3. Misalignment cases", "");
  out.push(`${r.misalignment.count} cases in the buffer (won locally, lost on lookahead or global).`);
  if (r.misalignment.topCategories.length > 0) {
    out.push("", "| category | cases | over the run |", "| --- | --- | --- |");
    for (const c of r.misalignment.topCategories) out.push(`| ${c.category} | ${c.count} | ${c.trend} |`);
  }
  out.push("");

  out.push("## 4. Best vs baseline", "");
  out.push(
    `Held-out ${measureName(h.measure)}: baseline ${pct(h.baseline)}, final ${pct(h.final)}, absolute ${points(h.absolute)}, relative ${relPct(h.relative)}.`,
    "",
  );
  out.push("Per agent (final prompt vs initial prompt, win rate − 0.5, on a train minibatch):", "");
  out.push("| agent | local | lookahead | global |", "| --- | --- | --- | --- |");
  for (const [agent, d] of Object.entries(r.delta.perAgent))
    out.push(`| ${agent} | ${signed(d.local)} | ${signed(d.lookahead)} | ${signed(d.global)} |`);
  out.push("");

  out.push("## 5. Remaining failure modes", "");
  if (r.remainingFailures.length === 0) out.push("No unrepaired high-local, low-global case remains in the buffer.");
  for (const f of r.remainingFailures) out.push(`- **${f.agentId}** on \`${f.exampleId}\` (${f.category}) — ${f.why}: ${f.detail}`);
  if (r.guards.length > 0) {
    out.push("", "Guard floors that stopped candidates:");
    for (const g of r.guards) out.push(`- round ${g.round}, ${g.agent}: ${g.guard} — ${g.detail}`);
  }
  out.push("");

  out.push("## 6. Recommended next experiments", "");
  for (const rec of r.recommendations) out.push(`- ${rec}`);
  out.push("");
  return out.join("\n");
}

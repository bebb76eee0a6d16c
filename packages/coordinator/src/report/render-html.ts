/**
 * report.html: one self-contained page (inline CSS and SVG; no scripts, fonts or remote assets) with
 * the same six sections as report.md, rendered as HTML from the same tables (report-tables.ts, one
 * unit style), and a plot of the train metric per round and held-out at the baseline and the end.
 */
import { JUDGED_NOTE, measureName, replayNote } from "./render-markdown.js";
import type { Report } from "./report-schema.js";
import { type ReportTable, reportTables } from "./report-tables.js";
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
import { pct, pts, relative, usd } from "./units.js";

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Markdown's emphasis marks, dropped where shared prose is shown as HTML text. */
const plain = (text: string) => text.replace(/\*\*|\*|`/g, "");

/**
 * The trajectory plot: the current graph's train metric at each round end (round 0: the baseline's,
 * from orientation), the best so far, and held-out — measured twice only, the initial prompts (round
 * 0) and the returned set (the round it comes from). Axes labelled: round; metric in percent.
 */
export function trajectorySvg(r: Report, width = 720, height = 320): string {
  const left = 68;
  const right = 24;
  const top = 20;
  const bottom = 48;
  const maxRound = Math.max(1, ...r.rounds.map((x) => x.round));
  const x = (round: number) => left + (round / maxRound) * (width - left - right);
  const y = (v: number) => top + (1 - Math.min(1, Math.max(0, v))) * (height - top - bottom);
  const pts2 = (p: [number, number][]) => p.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(" ");
  const parts: string[] = [];
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${left}" y1="${y(v)}" x2="${width - right}" y2="${y(v)}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end">${pct(v)}</text>`);
  }
  for (let round = 0; round <= maxRound; round++) {
    parts.push(`<text x="${x(round)}" y="${height - bottom + 16}" font-size="10" text-anchor="middle">${round}</text>`);
  }
  parts.push(`<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#888"/>`);
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="#888"/>`);
  parts.push(
    `<text x="${(left + width - right) / 2}" y="${height - 8}" font-size="11" text-anchor="middle">round (0 = initial prompts)</text>`,
  );
  const measure = r.trainMeasure === "judge-vs-baseline" ? "judged win rate vs baseline" : "task metric";
  parts.push(
    `<text x="14" y="${(top + height - bottom) / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 14 ${(top + height - bottom) / 2})">${esc(measure)} (%)</text>`,
  );
  const start: [number, number][] = r.orientation ? [[0, r.orientation.trainMetric]] : [];
  const train: [number, number][] = [...start, ...r.rounds.map((q): [number, number] => [q.round, q.trainMetric])];
  const best: [number, number][] = [...start, ...r.rounds.map((q): [number, number] => [q.round, q.bestTrainMetric])];
  if (train.length > 0) {
    parts.push(`<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${pts2(train)}"/>`);
    parts.push(`<polyline fill="none" stroke="#1f77b4" stroke-width="1" stroke-dasharray="5,4" points="${pts2(best)}"/>`);
    for (const [a, b] of train) parts.push(`<circle cx="${x(a)}" cy="${y(b)}" r="3" fill="#1f77b4"/>`);
  }
  const h = r.delta.heldOut;
  const held: [number, number][] = [
    [0, h.baseline],
    [r.finalRound, h.final],
  ];
  parts.push(`<polyline fill="none" stroke="#d62728" stroke-width="2" points="${pts2(held)}"/>`);
  for (const [a, b] of held) parts.push(`<rect x="${x(a) - 4}" y="${y(b) - 4}" width="8" height="8" fill="#d62728"/>`);
  const legend = [
    ["#1f77b4", "", "train pool: current graph at each round end"],
    ["#1f77b4", "5,4", "train pool: best so far"],
    ["#d62728", "", `held-out: initial prompts (round 0) and the returned set (round ${r.finalRound})`],
  ] as const;
  legend.forEach(([color, dash, label], i) => {
    const ly = top + 10 + 16 * i;
    parts.push(
      `<line x1="${width + 10}" y1="${ly}" x2="${width + 34}" y2="${ly}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`,
      `<text x="${width + 40}" y="${ly + 4}" font-size="11">${esc(label)}</text>`,
    );
  });
  return `<svg width="${width + 420}" height="${height}" role="img" aria-label="train and held-out ${esc(measure)} over rounds">${parts.join("")}</svg>`;
}

function table(t: ReportTable): string {
  return `<table><thead><tr>${t.head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${t.rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

export function renderHtml(r: Report): string {
  const h = r.delta.heldOut;
  const t = reportTables(r);
  const s: string[] = [];
  s.push(`<h1>${esc(r.title)}</h1>`);
  s.push(
    `<p class="headline">Held-out ${measureName(h.measure)}: ${pct(h.baseline)} → ${pct(h.final)} (${pts(h.absolute)}${h.relative === null ? "" : `, ${relative(h.relative)} relative`}) on ${h.examples} examples never used for tuning.</p>`,
  );
  if (h.measure === "judge-vs-baseline") s.push(`<p class="note">${esc(plain(JUDGED_NOTE(r.models.evaluator.global)))}</p>`);
  if (r.oracle) s.push(`<p class="note">${esc(oracleLine(r.oracle))}</p>`);
  s.push(
    `<p class="meta">Seed ${r.seed} · spec ${esc(r.specHash)} · split ${esc(h.hash)}${r.world ? ` · simlm world <b>${esc(r.world)}</b> (a simulated test world)` : ""}${r.split ? ` · file split ${esc(r.split.hash)} (${r.split.train} train / ${r.split.heldOut} held-out, ratio ${r.split.heldOutRatio}, seed ${r.split.seed})` : ""} · stopped: ${esc(r.stopReason)}<br>` +
      `Optimizer ${esc(r.models.optimizer)}; evaluator local ${esc(r.models.evaluator.local)}, lookahead ${esc(r.models.evaluator.lookahead)}, global ${esc(r.models.evaluator.global)}; serving ${Object.entries(
        r.models.serving,
      )
        .map(([a, m]) => `${esc(a)} ${esc(m)}`)
        .join(", ")}<br>` +
      `${r.cost.calls} LLM calls, ${r.cost.tokens} tokens, ${usd(r.cost.usd)}, ${r.cost.cacheHits} cache hits, ${r.cost.retries} retries (${r.cost.failedAttempts} failed attempts), ${r.errors.malformedVerdicts} malformed verdicts${r.replay ? ` · <b>${esc(replayNote(r.replay))}</b>` : ""}${r.ablations.length > 0 ? ` · <b>ablations: ${esc(r.ablations.join(", "))}</b> (benchmarking, not full MASPO)` : ""}</p>`,
  );
  if (t.cost.rows.length > 0) s.push(table(t.cost));
  s.push(`<p class="meta">${esc(overridesLine(r))}</p>`);
  s.push(`<p class="meta">Units: ${esc(plain(UNITS_NOTE))}</p>`);
  s.push(`<h2>1. Final prompt set</h2>`);
  s.push(
    `<p>${r.finalRound === 0 ? "No round beat the initial prompt set on the train pool; the initial set is returned." : `The prompt set of round ${r.finalRound}, the best measured on the train pool.`}</p>`,
  );
  for (const [agent, prompt] of Object.entries(r.finalPrompts)) {
    s.push(`<h3>${esc(agent)}${r.initialPrompts[agent] === prompt ? " (unchanged)" : ""}</h3><pre>${esc(prompt)}</pre>`);
  }
  s.push(`<h2>2. Optimization trajectory</h2>`, trajectorySvg(r));
  if (r.orientation) s.push(`<p class="note"><strong>Orientation.</strong> ${esc(orientationLine(r.orientation))}</p>`);
  s.push(`<p>${esc(plain(TRAJECTORY_NOTE))}</p>`, table(t.trajectory));
  if (t.rounds.rows.length > 0)
    s.push(`<p>Per round: the current graph on the whole train pool, the best so far, each agent's best and |ℬ_mis|.</p>`, table(t.rounds));
  s.push(
    `<p>${r.candidates.length} candidates evaluated: ${esc(t.verdictCounts)}; each one's lineage, lenses, verdict and why are in report.json.</p>`,
  );
  s.push(
    `<h2>3. Misalignment cases</h2><p>${r.misalignment.count} cases in the buffer (won locally, lost on lookahead or global); re-tested under the final prompts, ${r.misalignment.cases.filter((c) => c.repaired === true).length} are repaired. ${esc(growthLine(r))}</p>`,
  );
  if (t.categories.rows.length > 0) s.push(table(t.categories));
  s.push(`<h2>4. Best vs baseline</h2>`);
  s.push(
    `<p>Held-out ${measureName(h.measure)}: baseline ${pct(h.baseline)}, final ${pct(h.final)}, absolute ${pts(h.absolute)}, relative ${relative(h.relative)}.</p>`,
  );
  s.push(`<p>${esc(PER_AGENT_NOTE)}</p>`, table(t.perAgent));
  s.push(`<h2>5. Remaining failure modes</h2>`, `<p>${esc(heldOutFailuresLine(r))}</p>`);
  if (t.failureModes.rows.length > 0) s.push(table(t.failureModes));
  const unrepaired = r.remainingFailures.unrepairedCases;
  s.push(
    unrepaired.length === 0
      ? "<p>Every high-local, low-global case of ℬ_mis is repaired under the final prompts (train pool).</p>"
      : `<p>High-local, low-global cases of ℬ_mis still failing under the final prompts (train pool):</p><ul>${unrepaired.map((f) => `<li><b>${esc(f.agentId)}</b> on ${esc(f.exampleId)} (${esc(f.category)}) — ${esc(f.why)}: ${esc(f.detail)}</li>`).join("")}</ul>`,
  );
  if (r.guards.length > 0) {
    s.push(
      `<p>Guards that stopped a candidate or a step (round token caps included):</p><ul>${r.guards.map((g) => `<li>round ${g.round}, ${esc(g.agent)}: ${esc(g.guard)} — ${esc(g.detail)}</li>`).join("")}</ul>`,
    );
  }
  if (r.floorBreaches.length > 0) {
    s.push(
      `<p><b>The returned prompt set breaks a guard floor</b> (the run exits with status 4):</p><ul>${r.floorBreaches.map((b) => `<li>${esc(floorBreachText(b))}</li>`).join("")}</ul>`,
    );
  }
  s.push(`<h2>6. Recommended next experiments</h2><ul>${r.recommendations.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:80rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#222}
.headline{font-size:1.2rem;font-weight:600}.meta{color:#555;font-size:.9rem}
pre{background:#f6f6f6;padding:.75rem;overflow-x:auto;white-space:pre-wrap}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left;font-size:.9rem}th{background:#f0f0f0}</style></head>
<body>
${s.join("\n")}
</body></html>
`;
}

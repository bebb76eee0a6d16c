/**
 * report.html: one self-contained page (inline CSS and SVG; no scripts, fonts or remote assets) with
 * the same six sections as report.md, rendered as HTML, and the trajectory plotted.
 */
import { JUDGED_NOTE, measureName, replayNote } from "./render-markdown.js";
import type { Report } from "./report-schema.js";

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number | null) => (x === null ? "—" : x.toFixed(3));
const signed = (x: number | null) => (x === null ? "—" : `${x >= 0 ? "+" : ""}${x.toFixed(3)}`);

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];

/** Composite score of each agent's best over rounds, and the train metric per round (dashed). */
export function trajectorySvg(r: Report, width = 720, height = 300): string {
  const pad = 44;
  const agents = [...new Set(r.trajectory.map((t) => t.agent))];
  const maxRound = Math.max(1, ...r.trajectory.map((t) => t.round), ...r.rounds.map((x) => x.round));
  const values = [...r.trajectory.map((t) => t.composite), ...r.rounds.map((x) => x.trainMetric), 0, 1];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const x = (round: number) => pad + ((round - 1) / Math.max(1, maxRound - 1)) * (width - 2 * pad);
  const y = (v: number) => height - pad - ((v - lo) / (hi - lo || 1)) * (height - 2 * pad);
  const line = (pts: [number, number][], color: string, dash = "") =>
    `<polyline fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""} points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" ")}"/>`;
  const parts: string[] = [`<line x1="${pad}" y1="${y(0)}" x2="${width - pad}" y2="${y(0)}" stroke="#bbb"/>`];
  agents.forEach((agent, i) => {
    const color = COLORS[i % COLORS.length] as string;
    parts.push(
      line(
        r.trajectory.filter((t) => t.agent === agent).map((t): [number, number] => [x(t.round), y(t.composite)]),
        color,
      ),
    );
    parts.push(`<text x="${width - pad + 6}" y="${pad + 14 * i}" font-size="11" fill="${color}">${esc(agent)} composite</text>`);
  });
  if (r.rounds.length > 0) {
    parts.push(
      line(
        r.rounds.map((q): [number, number] => [x(q.round), y(q.trainMetric)]),
        "#000",
        "5,4",
      ),
    );
    parts.push(`<text x="${width - pad + 6}" y="${pad + 14 * agents.length}" font-size="11">train metric</text>`);
  }
  for (let round = 1; round <= maxRound; round++) {
    parts.push(`<text x="${x(round)}" y="${height - pad + 16}" font-size="10" text-anchor="middle">${round}</text>`);
  }
  parts.push(`<text x="${width / 2}" y="${height - 6}" font-size="11" text-anchor="middle">round</text>`);
  parts.push(
    `<text x="4" y="${y(hi) + 4}" font-size="10">${hi.toFixed(2)}</text><text x="4" y="${y(lo) + 4}" font-size="10">${lo.toFixed(2)}</text>`,
  );
  return `<svg width="${width + 150}" height="${height}" role="img" aria-label="optimization trajectory">${parts.join("")}</svg>`;
}

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

export function renderHtml(r: Report): string {
  const h = r.delta.heldOut;
  const s: string[] = [];
  s.push(`<h1>${esc(r.title)}</h1>`);
  s.push(
    `<p class="headline">Held-out ${measureName(h.measure)}: ${pct(h.baseline)} → ${pct(h.final)} (${h.absolute >= 0 ? "+" : ""}${(h.absolute * 100).toFixed(1)} points) on ${h.examples} examples never used for tuning.</p>`,
  );
  if (h.measure === "judge-vs-baseline")
    s.push(`<p class="note">${esc(JUDGED_NOTE(r.models.evaluator.global).replace(/\*\*|`/g, ""))}</p>`);
  s.push(
    `<p class="meta">Seed ${r.seed} · spec ${esc(r.specHash)} · split ${esc(h.hash)}${r.world ? ` · simlm world <b>${esc(r.world)}</b> (a simulated test world)` : ""}${r.split ? ` · file split ${esc(r.split.hash)} (${r.split.train} train / ${r.split.heldOut} held-out, ratio ${r.split.heldOutRatio}, seed ${r.split.seed})` : ""} · stopped: ${esc(r.stopReason)}<br>` +
      `Optimizer ${esc(r.models.optimizer)}; evaluator local ${esc(r.models.evaluator.local)}, lookahead ${esc(r.models.evaluator.lookahead)}, global ${esc(r.models.evaluator.global)}; serving ${Object.entries(
        r.models.serving,
      )
        .map(([a, m]) => `${esc(a)} ${esc(m)}`)
        .join(", ")}<br>` +
      `${r.cost.calls} LLM calls, ${r.cost.tokens} tokens, $${r.cost.usd.toFixed(4)}, ${r.cost.cacheHits} cache hits, ${r.cost.retries} retries (${r.cost.failedAttempts} failed attempts)${r.replay ? ` · <b>${esc(replayNote(r.replay))}</b>` : ""}${r.ablations.length > 0 ? ` · <b>ablations: ${esc(r.ablations.join(", "))}</b> (benchmarking, not full MASPO)` : ""}</p>`,
  );
  s.push(`<h2>1. Final prompt set</h2>`);
  s.push(
    `<p>${r.finalRound === 0 ? "No round beat the initial prompt set on the train pool; the initial set is returned." : `The prompt set of round ${r.finalRound}, the best measured on the train pool.`}</p>`,
  );
  for (const [agent, prompt] of Object.entries(r.finalPrompts)) {
    s.push(`<h3>${esc(agent)}${r.initialPrompts[agent] === prompt ? " (unchanged)" : ""}</h3><pre>${esc(prompt)}</pre>`);
  }
  s.push(`<h2>2. Optimization trajectory</h2>`, trajectorySvg(r));
  s.push(
    table(
      ["round", "agent", "best_local", "best_lookahead", "best_global", "composite", "beam_refresh_triggered"],
      r.trajectory.map((t) => [
        String(t.round),
        t.agent,
        num(t.best_local),
        num(t.best_lookahead),
        num(t.best_global),
        signed(t.composite),
        t.beam_refresh_triggered ? "yes" : "no",
      ]),
    ),
  );
  s.push(`<h2>3. Misalignment cases</h2><p>${r.misalignment.count} cases in the buffer (won locally, lost on lookahead or global).</p>`);
  if (r.misalignment.topCategories.length > 0) {
    s.push(
      table(
        ["category", "cases", "over the run"],
        r.misalignment.topCategories.map((c) => [c.category, String(c.count), c.trend]),
      ),
    );
  }
  s.push(`<h2>4. Best vs baseline</h2>`);
  s.push(
    `<p>Held-out${h.measure === "judge-vs-baseline" ? ` ${measureName(h.measure)}` : ""}: baseline ${pct(h.baseline)}, final ${pct(h.final)}, absolute ${signed(h.absolute)}, relative ${h.relative === null ? "—" : signed(h.relative)}.</p>`,
  );
  s.push(`<p>Per agent, final prompt vs initial prompt (win rate − 0.5, on a train minibatch):</p>`);
  s.push(
    table(
      ["agent", "local", "lookahead", "global"],
      Object.entries(r.delta.perAgent).map(([a, d]) => [a, signed(d.local), signed(d.lookahead), signed(d.global)]),
    ),
  );
  s.push(`<h2>5. Remaining failure modes</h2>`);
  s.push(
    r.remainingFailures.length === 0
      ? "<p>No unrepaired high-local, low-global case remains in the buffer.</p>"
      : `<ul>${r.remainingFailures.map((f) => `<li><b>${esc(f.agentId)}</b> on ${esc(f.exampleId)} (${esc(f.category)}) — ${esc(f.why)}: ${esc(f.detail)}</li>`).join("")}</ul>`,
  );
  if (r.guards.length > 0) {
    s.push(
      `<p>Guard floors that stopped candidates:</p><ul>${r.guards.map((g) => `<li>round ${g.round}, ${esc(g.agent)}: ${esc(g.guard)} — ${esc(g.detail)}</li>`).join("")}</ul>`,
    );
  }
  s.push(`<h2>6. Recommended next experiments</h2><ul>${r.recommendations.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#222}
.headline{font-size:1.2rem;font-weight:600}.meta{color:#555;font-size:.9rem}
pre{background:#f6f6f6;padding:.75rem;overflow-x:auto;white-space:pre-wrap}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left;font-size:.9rem}th{background:#f0f0f0}</style></head>
<body>
${s.join("\n")}
</body></html>
`;
}

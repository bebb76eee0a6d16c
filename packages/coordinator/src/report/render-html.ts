/** report.html: one self-contained page (inline SVG, no scripts or remote assets) with the trajectory plotted. */
import { renderMarkdown } from "./render-markdown.js";
import type { Report } from "./report-schema.js";

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];

/** Lines of composite score per agent over rounds, plus the train metric per round. */
export function trajectorySvg(r: Report, width = 720, height = 300): string {
  const pad = 40;
  const agents = [...new Set(r.trajectory.map((t) => t.agent))];
  const maxRound = Math.max(1, ...r.trajectory.map((t) => t.round), ...r.rounds.map((x) => x.round));
  const values = [...r.trajectory.map((t) => t.composite), ...r.rounds.map((x) => x.trainMetric), 0, 1];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const x = (round: number) => pad + ((round - 1) / Math.max(1, maxRound - 1)) * (width - 2 * pad);
  const y = (v: number) => height - pad - ((v - lo) / (hi - lo || 1)) * (height - 2 * pad);
  const line = (pts: [number, number][], color: string, dash = "") =>
    `<polyline fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""} points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" ")}"/>`;
  const parts: string[] = [];
  parts.push(`<line x1="${pad}" y1="${y(0)}" x2="${width - pad}" y2="${y(0)}" stroke="#bbb"/>`);
  agents.forEach((agent, i) => {
    const pts = r.trajectory.filter((t) => t.agent === agent).map((t): [number, number] => [x(t.round), y(t.composite)]);
    parts.push(line(pts, COLORS[i % COLORS.length] as string));
    parts.push(`<text x="${width - pad + 4}" y="${pad + 14 * i}" font-size="11" fill="${COLORS[i % COLORS.length]}">${escapeHtml(agent)} composite</text>`);
  });
  if (r.rounds.length > 0) {
    parts.push(line(r.rounds.map((q): [number, number] => [x(q.round), y(q.trainMetric)]), "#000", "5,4"));
    parts.push(`<text x="${width - pad + 4}" y="${pad + 14 * agents.length}" font-size="11">train metric</text>`);
  }
  for (let round = 1; round <= maxRound; round++) {
    parts.push(`<text x="${x(round)}" y="${height - pad + 16}" font-size="10" text-anchor="middle">${round}</text>`);
  }
  parts.push(`<text x="${pad}" y="${height - 6}" font-size="11">round</text>`);
  parts.push(`<text x="4" y="${y(hi)}" font-size="10">${hi.toFixed(2)}</text><text x="4" y="${y(lo)}" font-size="10">${lo.toFixed(2)}</text>`);
  return `<svg width="${width + 130}" height="${height}" role="img" aria-label="optimization trajectory">${parts.join("")}</svg>`;
}

export function renderHtml(r: Report): string {
  const md = renderMarkdown(r);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}
pre{background:#f6f6f6;padding:.75rem;overflow-x:auto;white-space:pre-wrap}</style></head>
<body>
<h1>${escapeHtml(r.title)}</h1>
<p><strong>Held-out: ${(r.delta.heldOut.baseline * 100).toFixed(1)}% → ${(r.delta.heldOut.final * 100).toFixed(1)}%</strong></p>
<h2>Trajectory</h2>
${trajectorySvg(r)}
<h2>Full report</h2>
<pre>${escapeHtml(md)}</pre>
</body></html>
`;
}

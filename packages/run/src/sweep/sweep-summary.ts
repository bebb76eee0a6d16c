/**
 * What a sweep found: per configuration, the held-out metric over its seeds (mean and a 95% t
 * interval) against what it cost, and every run with a link to its own report — as JSON, Markdown
 * and one self-contained HTML page with the metric-vs-cost plot.
 */
import { relative } from "node:path";
import type { Report } from "@maspo/coordinator";
import type { SweepPlan } from "./sweep-plan.js";

export type SweepRunStatus = "done" | "failed" | "pending";

export interface SweepRunResult {
  label: string;
  configuration: string;
  seed: number;
  status: SweepRunStatus;
  /** The run's report.md, relative to the summary. */
  report?: string;
  heldOut?: { baseline: number; final: number };
  cost?: Report["cost"];
  stopReason?: string;
  /** Why it failed, for a failed run. */
  error?: string;
}

export interface ConfigurationSummary {
  name: string;
  overrides: { path: string; value: unknown }[];
  runs: number;
  done: number;
  failed: number;
  heldOut: { mean: number; low: number; high: number } | null;
  baseline: number | null;
  calls: number | null;
  usd: number | null;
}

export interface SweepSummary {
  v: 1;
  name: string;
  file: string;
  base: string;
  runs: SweepRunResult[];
  configurations: ConfigurationSummary[];
  totals: { runs: number; done: number; failed: number; pending: number; calls: number; usd: number };
}

/** Two-sided 97.5% quantiles of Student's t for 1…30 degrees of freedom; beyond, the normal's 1.96. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/**
 * Mean and 95% t interval of the mean, clipped to [0, 1] where the metric lives (with two or three
 * seeds the t interval is wide); one value has no spread to estimate (the interval is the value).
 */
export function meanInterval(xs: readonly number[]): { mean: number; low: number; high: number } | null {
  if (xs.length === 0) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length === 1) return { mean, low: mean, high: mean };
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
  const half = (T975[xs.length - 2] ?? 1.96) * (sd / Math.sqrt(xs.length));
  return { mean, low: Math.max(0, mean - half), high: Math.min(1, mean + half) };
}

const avg = (xs: readonly number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

export function summarizeSweep(plan: SweepPlan, runs: readonly SweepRunResult[]): SweepSummary {
  const configurations = plan.configurations.map((c): ConfigurationSummary => {
    const mine = runs.filter((r) => r.configuration === c.name);
    const done = mine.filter((r) => r.status === "done");
    return {
      name: c.name,
      overrides: c.overrides,
      runs: mine.length,
      done: done.length,
      failed: mine.filter((r) => r.status === "failed").length,
      heldOut: meanInterval(done.flatMap((r) => (r.heldOut ? [r.heldOut.final] : []))),
      baseline: avg(done.flatMap((r) => (r.heldOut ? [r.heldOut.baseline] : []))),
      calls: avg(done.flatMap((r) => (r.cost ? [r.cost.calls] : []))),
      usd: avg(done.flatMap((r) => (r.cost ? [r.cost.usd] : []))),
    };
  });
  const count = (s: SweepRunStatus) => runs.filter((r) => r.status === s).length;
  return {
    v: 1,
    name: plan.name,
    file: plan.file,
    base: plan.base,
    runs: [...runs],
    configurations,
    totals: {
      runs: runs.length,
      done: count("done"),
      failed: count("failed"),
      pending: count("pending"),
      calls: runs.reduce((a, r) => a + (r.cost?.calls ?? 0), 0),
      usd: runs.reduce((a, r) => a + (r.cost?.usd ?? 0), 0),
    },
  };
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null | undefined): string => (x === null || x === undefined ? "—" : Math.round(x).toLocaleString("en-US"));
const usd = (x: number | null | undefined): string => (x === null || x === undefined ? "—" : `$${x.toFixed(4)}`);
const overridesText = (o: ConfigurationSummary["overrides"]): string =>
  o.length === 0 ? "(base spec)" : o.map((x) => `${x.path}=${JSON.stringify(x.value)}`).join(", ");

export function renderSweepMarkdown(s: SweepSummary): string {
  const lines = [
    `# maspo sweep — ${s.name}`,
    "",
    `Base spec \`${s.base}\`; ${s.totals.runs} runs: ${s.totals.done} done, ${s.totals.failed} failed, ${s.totals.pending} pending; ${num(s.totals.calls)} paid LLM calls, ${usd(s.totals.usd)}.`,
    "",
    "## Configurations",
    "",
    "Held-out: the final prompt set's metric on the held-out split, mean over seeds with a 95% t interval of the mean (clipped to 0–100%).",
    "",
    "| configuration | overrides | runs | held-out (mean) | 95% interval | baseline | calls (mean) | cost (mean) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...s.configurations.map(
      (c) =>
        `| ${c.name} | ${overridesText(c.overrides)} | ${c.done}/${c.runs}${c.failed > 0 ? ` (${c.failed} failed)` : ""} | ${pct(c.heldOut?.mean)} | ${c.heldOut ? `${pct(c.heldOut.low)} … ${pct(c.heldOut.high)}` : "—"} | ${pct(c.baseline)} | ${num(c.calls)} | ${usd(c.usd)} |`,
    ),
    "",
    "## Runs",
    "",
    "| run | status | held-out | calls | cost | stopped | report |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...s.runs.map(
      (r) =>
        `| ${r.label} | ${r.status} | ${r.heldOut ? `${pct(r.heldOut.baseline)} → ${pct(r.heldOut.final)}` : "—"} | ${num(r.cost?.calls)} | ${usd(r.cost?.usd)} | ${r.status === "failed" ? `failed: ${(r.error ?? "").replace(/\|/g, "\\|").split("\n")[0]}` : (r.stopReason ?? "—")} | ${r.report ? `[report](${r.report})` : "—"} |`,
    ),
    "",
  ];
  return lines.join("\n");
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

/** Held-out metric (y) against paid calls (x): each run a dot, each configuration's mean a ring with its interval. */
export function sweepPlotSvg(s: SweepSummary): string {
  const W = 640,
    H = 360,
    L = 64,
    R = 180,
    T = 20,
    B = 48;
  const done = s.runs.filter((r) => r.status === "done" && r.heldOut && r.cost);
  const xs = done.map((r) => r.cost?.calls ?? 0);
  const xMax = Math.max(1, ...xs) * 1.05;
  const x = (v: number) => L + (v / xMax) * (W - L - R);
  const y = (v: number) => T + (1 - v) * (H - T - B);
  const parts: string[] = [];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`);
    parts.push(`<text x="${L - 6}" y="${y(tick) + 4}" text-anchor="end" font-size="11">${(tick * 100).toFixed(0)}%</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const v = (xMax * i) / 4;
    parts.push(`<text x="${x(v)}" y="${H - B + 16}" text-anchor="middle" font-size="11">${Math.round(v).toLocaleString("en-US")}</text>`);
  }
  parts.push(
    `<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/>`,
  );
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle" font-size="12">paid LLM calls per run</text>`);
  parts.push(
    `<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${(T + H - B) / 2})">held-out metric</text>`,
  );
  s.configurations.forEach((c, i) => {
    const color = PALETTE[i % PALETTE.length] as string;
    for (const r of done.filter((d) => d.configuration === c.name)) {
      parts.push(
        `<circle cx="${x(r.cost?.calls ?? 0)}" cy="${y(r.heldOut?.final ?? 0)}" r="3" fill="${color}" opacity="0.6"><title>${esc(r.label)}</title></circle>`,
      );
    }
    if (c.heldOut && c.calls !== null) {
      parts.push(
        `<line x1="${x(c.calls)}" x2="${x(c.calls)}" y1="${y(c.heldOut.low)}" y2="${y(c.heldOut.high)}" stroke="${color}" stroke-width="2"/>`,
      );
      parts.push(
        `<circle cx="${x(c.calls)}" cy="${y(c.heldOut.mean)}" r="6" fill="none" stroke="${color}" stroke-width="2"><title>${esc(c.name)}: mean ${pct(c.heldOut.mean)}</title></circle>`,
      );
    }
    parts.push(
      `<rect x="${W - R + 12}" y="${T + i * 18}" width="10" height="10" fill="${color}"/><text x="${W - R + 28}" y="${T + i * 18 + 9}" font-size="11">${esc(c.name.slice(0, 26))}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">${parts.join("")}</svg>`;
}

export function renderSweepHtml(s: SweepSummary): string {
  const rows = s.configurations
    .map(
      (c) =>
        `<tr><td>${esc(c.name)}</td><td>${esc(overridesText(c.overrides))}</td><td>${c.done}/${c.runs}</td><td>${pct(c.heldOut?.mean)}</td><td>${c.heldOut ? `${pct(c.heldOut.low)} … ${pct(c.heldOut.high)}` : "—"}</td><td>${pct(c.baseline)}</td><td>${num(c.calls)}</td><td>${usd(c.usd)}</td></tr>`,
    )
    .join("");
  const runRows = s.runs
    .map(
      (r) =>
        `<tr><td>${esc(r.label)}</td><td>${r.status}</td><td>${r.heldOut ? `${pct(r.heldOut.baseline)} → ${pct(r.heldOut.final)}` : "—"}</td><td>${num(r.cost?.calls)}</td><td>${r.report ? `<a href="${esc(r.report.replace(/\.md$/, ".html"))}">report</a>` : esc(r.error?.split("\n")[0] ?? "—")}</td></tr>`,
    )
    .join("");
  return `<!doctype html><html><head><meta charset="utf-8"><title>maspo sweep — ${esc(s.name)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}th{background:#f4f4f4}</style></head><body>
<h1>maspo sweep — ${esc(s.name)}</h1>
<p>Base spec <code>${esc(s.base)}</code>; ${s.totals.runs} runs: ${s.totals.done} done, ${s.totals.failed} failed, ${s.totals.pending} pending; ${num(s.totals.calls)} paid LLM calls, ${usd(s.totals.usd)}.</p>
<h2>Held-out metric against cost</h2><p>Each dot is a run; each ring a configuration's mean over its seeds, with its 95% interval.</p>
${sweepPlotSvg(s)}
<h2>Configurations</h2><table><tr><th>configuration</th><th>overrides</th><th>runs</th><th>held-out (mean)</th><th>95% interval</th><th>baseline</th><th>calls (mean)</th><th>cost (mean)</th></tr>${rows}</table>
<h2>Runs</h2><table><tr><th>run</th><th>status</th><th>held-out</th><th>calls</th><th>report</th></tr>${runRows}</table>
</body></html>
`;
}

/** A run's report path as the summary links it. */
export function reportLink(summaryDir: string, reportMd: string): string {
  return relative(summaryDir, reportMd);
}

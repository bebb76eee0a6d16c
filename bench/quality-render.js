/**
 * The quality benchmark's report: quality.md (the targets of issue 13 with their figures, the peers
 * at equal budget, paired comparisons, the anytime curves as a table, every run) and anytime.html
 * (the same curves as SVG lines, one chart for all worlds and one per world).
 */
import { COST_REFERENCE, GAP_TARGET, MEDIAN_TARGET, MUST_SEPARATE, RUN_FLOOR } from "./quality-summary.js";

const pct = (x) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);
const num = (x) => (x === null || x === undefined ? "—" : String(Math.round(x)));
const ci = (p) => (p?.interval95 ? `${pct(p.interval95[0])} … ${pct(p.interval95[1])}` : "—");
const yes = (t) => (t.met ? "**met**" : "**NOT met**");
const kcalls = (n) => (n >= 1000 ? `${n / 1000}k` : String(n));

function targetLines(summary) {
  const t = summary.targets;
  const lines = [];
  const p = t.aheadOfPeers;
  lines.push(
    `1. Full MASPO's mean gap closed is ahead of every peer on every world, and its paired 95% interval against gepa-all excludes 0 over all worlds: ${yes(p)}` +
      (!p.judged
        ? " — not judged: full MASPO and the peers did not both run."
        : ` — against gepa-all ${pct(p.gepaAll?.meanDifference)} (${ci(p.gepaAll)}, ${p.gepaAll?.pairs ?? 0} pairs)` +
          (p.notAhead.length === 0
            ? "; ahead of every peer on every world."
            : `; not ahead on: ${p.notAhead.map((x) => `${x.world} vs ${x.peer} (${pct(x.full)} vs ${pct(x.peerMean)})`).join(", ")}.`)),
  );
  const a = t.aheadOfAblations;
  lines.push(
    `2. Full MASPO is ahead of every ablation on average over all worlds, and its paired intervals exclude 0 against ${MUST_SEPARATE.join(", ")}: ${yes(a)}` +
      (!a.judged
        ? " — not judged: no ablation ran."
        : (a.notBeaten.length === 0 ? " — ahead of every ablation on average" : ` — not ahead of ${a.notBeaten.join(", ")} on average`) +
          (a.notSeparated.length === 0
            ? "; all four intervals exclude 0."
            : `; the interval includes 0 (or did not run) for ${a.notSeparated.join(", ")}.`)),
  );
  const m = t.medianAndFloor;
  lines.push(
    `3. Median gap closed ≥ ${MEDIAN_TARGET * 100}% on every world, with no run below ${RUN_FLOOR * 100}%: ${yes(m)}` +
      (!m.judged
        ? " — not judged: full MASPO did not run."
        : ` — medians ${summary.perWorld.map((w) => `${w.world} ${pct(w.fullMedianGapClosed)}`).join(", ")}` +
          (m.belowFloor.length === 0
            ? "; no run below."
            : `; below ${RUN_FLOOR * 100}%: ${m.belowFloor.map((r) => `${r.world} seed ${r.seed} (${pct(r.gapClosed)})`).join(", ")}.`)),
  );
  const any = t.anytime;
  lines.push(
    `4. At every budget point of the anytime curves, full MASPO's mean is at or above every peer's: ${yes(any)}` +
      (!any.judged
        ? " — not judged: full MASPO and the peers did not both run."
        : any.behind.length === 0
          ? "."
          : ` — behind at: ${any.behind.map((b) => `${kcalls(b.calls)} vs ${b.peer} (${pct(b.full)} vs ${pct(b.peerMean)})`).join(", ")}.`),
  );
  const c = t.cost;
  lines.push(
    `5. The default run spends no more paid calls than today's shipped run (${COST_REFERENCE.world}: ${num(COST_REFERENCE.calls)} calls for ${pct(COST_REFERENCE.gapClosed)} of the gap, mean) for at least today's quality: ${yes(c)}` +
      (!c.judged
        ? ` — not judged: full MASPO did not run on ${COST_REFERENCE.world}.`
        : ` — now ${num(c.measured.calls)} paid calls (search and finish) for ${pct(c.measured.gapClosed)}, mean of ${c.runs} runs; maspo's search is unchanged by the peers' work, so this repeats today's run rather than improving on it.`),
  );
  return lines;
}

export function renderMarkdown(result) {
  const { summary, rows, settings } = result;
  const kinds = summary.kinds;
  const lines = [];
  lines.push("# maspo quality benchmark");
  lines.push("");
  lines.push(
    `Every bundled simlm world × {full MASPO, each ablation, each peer} × seeds ${settings.seeds.join(", ")}, paired on world and seed. ` +
      "MASPO at the default budget of each example spec (K=5, T=10, E=3, 2 children, minibatch 10, patience 3); each peer " +
      "(@maspo/peers, on the same executor, evaluator, mutator and LLM client) at the calls full MASPO sent during search on the " +
      "same world and seed. Score: the held-out final metric (200 examples, run as maspo's finish runs it), and the fraction of the " +
      'oracle gap it closed, (final − floor) / (ceiling − floor). "expected" is the oracle\'s noise-free score of the same final ' +
      "prompts (— when a final prompt lost its agent's role, which the oracle does not model; means and medians skip those).",
  );
  lines.push("");
  lines.push(
    `Generated ${result.generatedAt} by \`${settings.command}\` in ${(result.wallSeconds / 60).toFixed(1)} min, ` +
      `${settings.jobs} run${settings.jobs === 1 ? "" : "s"} at a time (a run's wall time is measured under that load).`,
  );
  if (settings.partial) lines.push("", `**Partial run** (${settings.partial}): the targets below are judged on what ran.`);
  lines.push("");
  lines.push('## Targets (issue 13, "Done when")');
  lines.push("");
  lines.push(...targetLines(summary));
  lines.push("");
  const g = summary.targets.gapClosed;
  lines.push(
    `Earlier target, kept: full MASPO closes ≥ ${GAP_TARGET * 100}% of the gap on every world (median over seeds): ${yes(g)}` +
      (g.met ? "." : ` — short on ${g.failing.join(", ")}.`),
  );
  lines.push("");

  const peers = summary.perConfig.filter((c) => c.kind === "peer");
  const described = Object.fromEntries((result.configs ?? []).map((c) => [c.name, c.describe]));
  if (peers.length > 0) {
    lines.push("## The peers at equal budget (mean over worlds and seeds)");
    lines.push("");
    lines.push(
      "Budget = the LLM calls (cache misses) full MASPO sent during search on the same world and seed; a peer stops at its first " +
        "iteration boundary at or past it, and its answer is its best-so-far set reached within the budget (an iteration that crossed " +
        'it does not count). "stalled": runs that stopped before the budget because 500 iterations in a row sent no call (every request ' +
        "a cache hit: the search had converged).",
    );
    lines.push("");
    lines.push(
      "| optimizer | what it is | runs | gap closed | gap closed (expected) | budget | search calls | search tokens | stalled | wall s |",
    );
    lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    const full = summary.perConfig.find((c) => c.config === "full");
    if (full) {
      lines.push(
        `| full | MASPO | ${full.runs} | ${pct(full.meanGapClosed)} | ${pct(full.meanExpectedGapClosed)} | — | ${num(full.meanSearchCalls)} | ${num(full.meanSearchTokens)} | — | ${full.meanWallSeconds.toFixed(1)} |`,
      );
    }
    for (const c of peers) {
      lines.push(
        `| ${c.config} | ${described[c.config] ?? ""} | ${c.runs} | ${pct(c.meanGapClosed)} | ${pct(c.meanExpectedGapClosed)} | ${num(c.meanBudget)} | ${num(c.meanSearchCalls)} | ${num(c.meanSearchTokens)} | ${c.stalled} | ${c.meanWallSeconds.toFixed(1)} |`,
      );
    }
    lines.push("");
  }

  lines.push("## Full MASPO against every other configuration (paired on world and seed)");
  lines.push("");
  lines.push(
    "Difference in gap closed, full minus the other, over the runs that share a world and a seed; the 95% interval is a " +
      "bootstrap over those pairs. An interval that contains 0 means the two are not told apart by this many runs.",
  );
  lines.push("");
  lines.push("| configuration | kind | pairs | mean difference | 95% interval | full ahead | other ahead | same |");
  lines.push("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const p of summary.paired) {
    lines.push(
      `| ${p.config} | ${p.kind === "peer" ? "peer" : "ablation"} | ${p.pairs} | ${pct(p.meanDifference)} | ${ci(p)} | ${p.fullAhead} | ${p.otherAhead} | ${p.same} |`,
    );
  }
  lines.push("");

  const curveConfigs = Object.keys(summary.anytime.overall);
  if (curveConfigs.length > 0) {
    const points = summary.anytime.points;
    lines.push("## Anytime curves: held-out gap closed at a budget of calls");
    lines.push("");
    lines.push(
      "Each optimizer's best-so-far prompt set when it had sent that many calls during search (full MASPO: the best set measured " +
        "at the last round end within the budget; a peer: its best-so-far at the last change within it), run on the held-out " +
        "split. A run that ended below a budget point keeps its final set there. Mean over worlds and seeds (expected in " +
        "brackets); the charts are in [anytime.html](anytime.html).",
    );
    lines.push("");
    lines.push(`| optimizer | ${points.map(kcalls).join(" | ")} |`);
    lines.push(`| --- | ${points.map(() => "---").join(" | ")} |`);
    for (const c of curveConfigs) {
      lines.push(`| ${c} | ${summary.anytime.overall[c].map((pt) => `${pct(pt.mean)} (${pct(pt.meanExpected)})`).join(" | ")} |`);
    }
    lines.push("");
    for (const [world, byConfig] of Object.entries(summary.anytime.perWorld)) {
      lines.push(`${world}:`);
      lines.push("");
      lines.push(`| optimizer | ${points.map(kcalls).join(" | ")} |`);
      lines.push(`| --- | ${points.map(() => "---").join(" | ")} |`);
      for (const [c, curve] of Object.entries(byConfig)) lines.push(`| ${c} | ${curve.map((pt) => pct(pt.mean)).join(" | ")} |`);
      lines.push("");
    }
  }

  lines.push("## Full MASPO per world");
  lines.push("");
  lines.push("| world | floor | ceiling | median gap closed | median gap closed (expected) | lowest run |");
  lines.push("| --- | --- | --- | --- | --- | --- |");
  for (const w of summary.perWorld) {
    lines.push(
      `| ${w.world} | ${pct(w.floor)} | ${pct(w.ceiling)} | ${pct(w.fullMedianGapClosed)} | ${pct(w.fullMedianExpectedGapClosed)} | ${pct(w.fullMinGapClosed)} |`,
    );
  }
  lines.push("");
  lines.push("## Per configuration (mean over worlds and seeds)");
  lines.push("");
  lines.push(
    "| config | kind | runs | gap closed | gap closed (expected) | held-out final | paid calls | search calls | search tokens | wall s |",
  );
  lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const c of summary.perConfig) {
    lines.push(
      `| ${c.config} | ${c.kind} | ${c.runs} | ${pct(c.meanGapClosed)} | ${pct(c.meanExpectedGapClosed)} | ${pct(c.meanFinal)} | ${num(c.meanCalls)} | ${num(c.meanSearchCalls)} | ${num(c.meanSearchTokens)} | ${c.meanWallSeconds.toFixed(1)} |`,
    );
  }
  lines.push("");
  lines.push("## Mean gap closed per world and configuration");
  lines.push("");
  const configs = summary.perConfig.map((c) => c.config);
  lines.push(`| world | ${configs.join(" | ")} |`);
  lines.push(`| --- | ${configs.map(() => "---").join(" | ")} |`);
  for (const w of summary.perWorld) lines.push(`| ${w.world} | ${configs.map((c) => pct(w.meanGapClosedByConfig[c])).join(" | ")} |`);
  lines.push("");
  lines.push("## Every run");
  lines.push("");
  lines.push(
    "Paid calls: what the run paid for, search and (MASPO) finish; a peer's held-out measurement is the bench's. Search calls: sent during search.",
  );
  lines.push("");
  lines.push(
    "| world | config | seed | baseline | final | gap closed | expected final | paid calls | search calls | budget | search tokens | wall s | stop |",
  );
  lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rows) {
    const stop = kinds[r.config] === "peer" ? `${r.stopReason}; best reached at ${r.finalReachedAt} calls` : r.stopReason;
    lines.push(
      `| ${r.world} | ${r.config} | ${r.seed} | ${pct(r.baseline)} | ${pct(r.final)} | ${pct(r.gapClosed)} | ${pct(r.expectedFinal)} | ${r.calls} | ${r.searchCalls} | ${r.budget ?? "—"} | ${r.searchTokens} | ${r.wallSeconds.toFixed(1)} | ${stop} |`,
    );
  }
  lines.push("");
  return lines.join("\n");
}

const COLOURS = ["#1b1b1b", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"];

const escapeHtml = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/** One chart: x = calls sent during search, y = mean held-out gap closed; a line per optimizer. */
function chartSvg(title, points, curves) {
  const W = 720;
  const H = 400;
  const margin = { left: 64, right: 170, top: 36, bottom: 52 };
  const values = Object.values(curves).flatMap((c) => c.map((p) => p.mean).filter((v) => v !== null));
  const yMin = Math.min(0, Math.floor(Math.min(...values, 0) * 10) / 10);
  const yMax = Math.max(1.1, Math.ceil(Math.max(...values, 1) * 10) / 10);
  const xMax = Math.max(...points);
  const x = (c) => margin.left + (c / xMax) * (W - margin.left - margin.right);
  const y = (v) => H - margin.bottom - ((v - yMin) / (yMax - yMin)) * (H - margin.top - margin.bottom);
  const parts = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(title)}">`,
  );
  parts.push(`<text x="${margin.left}" y="20" font-size="15" font-weight="bold">${escapeHtml(title)}</text>`);
  // Axes, grid and ticks.
  for (let v = yMin; v <= yMax + 1e-9; v += 0.1) {
    const yy = y(v).toFixed(1);
    parts.push(`<line x1="${margin.left}" x2="${W - margin.right}" y1="${yy}" y2="${yy}" stroke="#e5e5e5"/>`);
    parts.push(
      `<text x="${margin.left - 6}" y="${yy}" font-size="11" text-anchor="end" dominant-baseline="middle">${Math.round(v * 100)}%</text>`,
    );
  }
  for (const c of [0, ...points]) {
    const xx = x(c).toFixed(1);
    parts.push(`<line x1="${xx}" x2="${xx}" y1="${H - margin.bottom}" y2="${H - margin.bottom + 4}" stroke="#333"/>`);
    parts.push(`<text x="${xx}" y="${H - margin.bottom + 17}" font-size="11" text-anchor="middle">${kcalls(c)}</text>`);
  }
  parts.push(`<line x1="${margin.left}" x2="${W - margin.right}" y1="${H - margin.bottom}" y2="${H - margin.bottom}" stroke="#333"/>`);
  parts.push(`<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${H - margin.bottom}" stroke="#333"/>`);
  parts.push(
    `<text x="${(margin.left + W - margin.right) / 2}" y="${H - 12}" font-size="12" text-anchor="middle">LLM calls sent during search (cache misses)</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${(margin.top + H - margin.bottom) / 2}) rotate(-90)" font-size="12" text-anchor="middle">held-out gap closed (mean over seeds)</text>`,
  );
  if (yMin < 0 || yMax > 1) {
    parts.push(
      `<line x1="${margin.left}" x2="${W - margin.right}" y1="${y(1).toFixed(1)}" y2="${y(1).toFixed(1)}" stroke="#999" stroke-dasharray="4 3"/>`,
    );
  }
  Object.entries(curves).forEach(([name, curve], i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pts = curve.filter((p) => p.mean !== null).map((p) => [x(p.calls), y(p.mean), p]);
    const width = name === "full" ? 3 : 1.8;
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="${width}" points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" ")}"/>`,
    );
    for (const [a, b, p] of pts) {
      parts.push(
        `<circle cx="${a.toFixed(1)}" cy="${b.toFixed(1)}" r="3" fill="${colour}"><title>${escapeHtml(name)} at ${kcalls(p.calls)} calls: ${pct(p.mean)}</title></circle>`,
      );
    }
    const ly = margin.top + 8 + i * 18;
    parts.push(
      `<line x1="${W - margin.right + 14}" x2="${W - margin.right + 38}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="${width}"/>`,
    );
    parts.push(`<text x="${W - margin.right + 44}" y="${ly}" font-size="12" dominant-baseline="middle">${escapeHtml(name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

export function renderAnytimeHtml(result) {
  const { summary, settings } = result;
  const points = summary.anytime.points;
  const charts = [];
  if (Object.keys(summary.anytime.overall).length > 0) {
    charts.push(
      chartSvg(`All worlds (${settings.worlds.join(", ")}), seeds ${settings.seeds.join(", ")}`, points, summary.anytime.overall),
    );
    for (const [world, curves] of Object.entries(summary.anytime.perWorld)) charts.push(chartSvg(world, points, curves));
  }
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8"><title>maspo bench — anytime curves</title>',
    "<style>body{font-family:system-ui,sans-serif;max-width:780px;margin:2em auto;color:#1b1b1b}svg{display:block;margin:1.5em 0}</style></head><body>",
    "<h1>Anytime curves: held-out gap closed against calls spent</h1>",
    `<p>Each optimizer's best-so-far prompt set at a budget of LLM calls sent during search, run on the held-out split; mean gap closed ` +
      `over the seeds (and worlds, in the first chart). Generated ${escapeHtml(result.generatedAt)} by <code>${escapeHtml(settings.command)}</code>` +
      (settings.partial ? ` — partial run (${escapeHtml(settings.partial)})` : "") +
      '. Figures and targets: <a href="quality.md">quality.md</a>.</p>',
    ...(charts.length > 0 ? charts : ["<p>No anytime curve ran (full MASPO or a peer is needed).</p>"]),
    "</body></html>",
    "",
  ].join("\n");
}

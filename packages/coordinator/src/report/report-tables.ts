/**
 * The report's tables as rows of formatted cells, built once for both renderings: report.md and
 * report.html show the same cells, so they cannot drift apart in content or units (units.ts).
 */
import type { Report } from "./report-schema.js";
import { pct, pctOr, pts, ptsOr, usd } from "./units.js";

export interface ReportTable {
  head: string[];
  rows: string[][];
}

export interface ReportTables {
  trajectory: ReportTable;
  rounds: ReportTable;
  categories: ReportTable;
  perAgent: ReportTable;
  failureModes: ReportTable;
  cost: ReportTable;
  /** "7 promoted, 25 kept as parents, 72 rejected". */
  verdictCounts: string;
}

const REFERENCE_WORDS: Record<string, string> = {
  initial: "itself (initial)",
  parent: "its parent",
  refresh: "the best at refresh",
  self: "itself (refresh)",
};

function reference(t: Report["trajectory"][number]): string {
  if (!t.best_reference) return "—";
  return `${REFERENCE_WORDS[t.best_reference.via] ?? t.best_reference.via} ${t.best_reference.version.slice(0, 8)}`;
}

function trajectory(r: Report): ReportTable {
  return {
    head: [
      "round",
      "agent",
      "best",
      "vs",
      "best_local",
      "best_lookahead",
      "best_global",
      "composite",
      "composite vs initial",
      "minibatch metric",
      "beam_refresh_triggered",
    ],
    rows: r.trajectory.map((t) => [
      String(t.round),
      t.agent,
      t.best_version?.slice(0, 8) ?? "—",
      reference(t),
      pct(t.best_local),
      pctOr(t.best_lookahead),
      pct(t.best_global),
      pts(t.composite),
      ptsOr(t.best_vs_initial?.composite),
      pctOr(t.best_minibatch_metric),
      t.beam_refresh_triggered ? "yes" : "no",
    ]),
  };
}

function rounds(r: Report): ReportTable {
  const agents = Object.keys(r.finalPrompts);
  return {
    head: [
      "round",
      "train (current graph)",
      "best so far",
      ...agents.map((a) => `${a} (composite vs initial)`),
      "|ℬ_mis|",
      "calls",
      "cost",
    ],
    rows: r.rounds.map((x) => [
      String(x.round),
      pct(x.trainMetric),
      `${pct(x.bestTrainMetric)} (round ${x.bestRound})`,
      ...agents.map((a) => `${x.versions[a]?.slice(0, 8) ?? "—"} (${ptsOr(x.composite[a])})`),
      `${x.bufferSize}${Object.keys(x.bufferByAgent).length > 0 ? ` (${agents.map((a) => `${a} ${x.bufferByAgent[a] ?? 0}`).join(", ")})` : ""}`,
      String(x.calls),
      usd(x.usd),
    ]),
  };
}

function categories(r: Report): ReportTable {
  return {
    head: ["category", "cases", "first seen", "repaired", "open", "under the final prompts"],
    rows: r.misalignment.topCategories.map((c) => [
      c.category,
      String(c.count),
      `round ${c.firstSeen.round} (${c.firstSeen.count})`,
      String(c.repaired),
      String(c.open),
      c.trend,
    ]),
  };
}

function perAgent(r: Report): ReportTable {
  return {
    head: ["agent", "local", "lookahead", "global"],
    rows: Object.entries(r.delta.perAgent).map(([a, d]) => [a, pts(d.local), ptsOr(d.lookahead), pts(d.global)]),
  };
}

function failureModes(r: Report): ReportTable {
  return {
    head: ["examples", "agent", "lens", "what the traces show", "e.g."],
    rows: r.remainingFailures.heldOut.modes.map((m) => [String(m.count), m.agent ?? "(system)", m.lens, m.detail, m.examples.join(", ")]),
  };
}

function cost(r: Report): ReportTable {
  return {
    head: ["role", "model", "calls", "tokens", "cost", "cache hits", "retries", "failed attempts"],
    rows: r.cost.byModel.map((m) => [
      m.role,
      `${m.endpointId} (${m.model})`,
      String(m.calls),
      String(m.tokens),
      usd(m.usd),
      String(m.cacheHits),
      String(m.retries),
      String(m.failedAttempts),
    ]),
  };
}

export function reportTables(r: Report): ReportTables {
  const n = (v: string) => r.candidates.filter((c) => c.verdict === v).length;
  return {
    trajectory: trajectory(r),
    rounds: rounds(r),
    categories: categories(r),
    perAgent: perAgent(r),
    failureModes: failureModes(r),
    cost: cost(r),
    verdictCounts: `${n("promoted")} promoted, ${n("kept")} kept as parents, ${n("rejected")} rejected`,
  };
}

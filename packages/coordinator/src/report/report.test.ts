import { describe, expect, it } from "vitest";
import { initialState } from "../optimize.js";
import type { RunState } from "../run-state.js";
import { buildReport } from "./build-report.js";
import { renderHtml } from "./render-html.js";
import { orientationLine } from "./report-text.js";
import { renderMarkdown } from "./render-markdown.js";
import { ReportSchema } from "./report-schema.js";

function state(): RunState {
  const s = initialState({
    initialPrompts: { planner: "P0", solver: "S0" },
  } as unknown as Parameters<typeof initialState>[0]);
  s.prompts = { planner: "P1 <b>bold</b>", solver: "S0" };
  s.bestPrompts = { ...s.prompts };
  s.stopReason = "no global improvement for 3 rounds";
  s.orientation = { trainMetric: 0.4, failingAgents: {}, weakestLens: "lookahead", constrainingAgent: "planner" };
  s.trajectory = [
    {
      epoch: 1,
      round: 1,
      agent: "planner",
      best_local: 0.7,
      best_lookahead: 0.6,
      best_global: 0.65,
      composite: 0.2,
      beam_refresh_triggered: false,
      best_changed: true,
    },
    {
      epoch: 1,
      round: 1,
      agent: "solver",
      best_local: 0.5,
      best_lookahead: null,
      best_global: 0.5,
      composite: 0,
      beam_refresh_triggered: true,
      best_changed: false,
    },
  ];
  s.rounds = [
    { epoch: 1, round: 1, trainMetric: 0.55, bufferSize: 2, categories: { "global: wrong answer": 2 }, tokens: 100, usd: 0, calls: 10 },
  ];
  s.buffer = [
    {
      id: "c1",
      agentId: "planner",
      exampleId: "t1",
      promptVersion: "v",
      category: "global: wrong answer",
      strength: 1,
      round: 1,
      source: "evaluation" as const,
      lostOn: "global" as const,
      traceExcerpt: { input: "i", output: "o", downstream: "d" },
      failureCaused: "wrong",
    },
    {
      id: "c2",
      agentId: "planner",
      exampleId: "t2",
      promptVersion: "v",
      category: "global: wrong answer",
      strength: 1,
      round: 1,
      source: "evaluation" as const,
      lostOn: "global" as const,
      traceExcerpt: { input: "i", output: "o", downstream: "d" },
      failureCaused: "wrong",
    },
  ];
  return s;
}

const inputs = (): Parameters<typeof buildReport>[0] => ({
  title: "maspo report — demo",
  state: state(),
  initialPrompts: { planner: "P0", solver: "S0" },
  heldOut: { baseline: 0.4, final: 0.6, examples: 50, hash: "abc" },
  perAgent: { planner: { local: 0.2, lookahead: 0.1, global: 0.15 }, solver: { local: 0, lookahead: null, global: 0 } },
  unrepaired: [
    { agentId: "planner", exampleId: "t1", category: "global: wrong answer", finalScore: 0, upstreamFailed: false, strength: 1 },
  ],
  heldOutFailures: {
    examples: 50,
    failed: 20,
    regressed: 1,
    modes: [
      {
        agent: "solver",
        lens: "local",
        kind: "lost-downstream",
        count: 12,
        examples: ["h1"],
        detail: "the right answer is in planner's output but solver did not carry it",
      },
      { agent: null, lens: "global", kind: "never-right", count: 8, examples: ["h2"], detail: "no agent's output states the right answer" },
    ],
    stepFailures: { planner: 0, solver: 0 },
  },
  models: { optimizer: "opt", evaluator: { local: "judge", lookahead: "judge", global: "judge" }, serving: { planner: "m", solver: "m" } },
  ablations: [],
  cost: { calls: 10, tokens: 100, usd: 0, cacheHits: 3, retries: 2, failedAttempts: 2 },
  seed: 1,
  specHash: "deadbeef",
  world: "math-chain",
  patience: 3,
});
const report = () => buildReport(inputs());

describe("report", () => {
  it("holds the held-out delta absolute and relative, and validates against its schema", () => {
    const r = ReportSchema.parse(report());
    expect(r.delta.heldOut.absolute).toBeCloseTo(0.2);
    expect(r.delta.heldOut.relative).toBeCloseTo(0.5);
    // t1 is re-tested and still fails; t2 was not re-tested (not measurable): both open, as many as first seen.
    expect(r.misalignment.topCategories).toEqual([
      { category: "global: wrong answer", count: 2, firstSeen: { round: 1, count: 2 }, repaired: 0, open: 2, trend: "unchanged" },
    ]);
    expect(r.remainingFailures.unrepairedCases[0]?.why).toBe("budget");
  });

  it("says why each unrepaired case was not repaired: missing context, ambiguity or budget", () => {
    const base = { agentId: "planner", category: "global: wrong answer", finalScore: 0 };
    const r = buildReport({
      ...inputs(),
      unrepaired: [
        { ...base, exampleId: "a", upstreamFailed: true, strength: 1 },
        { ...base, exampleId: "b", upstreamFailed: false, strength: 0.5 },
        { ...base, exampleId: "c", upstreamFailed: false, strength: 0.9 },
        { ...base, exampleId: "d", upstreamFailed: false, strength: 0.9, finalScore: 1 },
      ],
    });
    expect(r.remainingFailures.unrepairedCases.map((f) => [f.exampleId, f.why])).toEqual([
      ["a", "missing context"],
      ["b", "ambiguity"],
      ["c", "budget"],
    ]);
  });

  it("renders exactly the method's six sections, in order, with the prompts verbatim", () => {
    const md = renderMarkdown(report());
    const headings = md.split("\n").filter((l) => l.startsWith("## "));
    expect(headings).toEqual([
      "## 1. Final prompt set",
      "## 2. Optimization trajectory",
      "## 3. Misalignment cases",
      "## 4. Best vs baseline",
      "## 5. Remaining failure modes",
      "## 6. Recommended next experiments",
    ]);
    expect(md).toContain("P1 <b>bold</b>");
    expect(md).toContain(
      "| round | agent | best | vs | best_local | best_lookahead | best_global | composite | composite vs initial | minibatch metric | beam_refresh_triggered |",
    );
    expect(md).toContain("optimizer: `opt`");
  });

  it("renders one self-contained html page with the trajectory plotted and the text escaped", () => {
    const html = renderHtml(report());
    expect(html).toContain("<svg");
    expect(html).toContain("<polyline");
    expect(html).not.toMatch(/<script|https?:\/\//);
    expect(html).toContain("P1 &lt;b&gt;bold&lt;/b&gt;");
  });

  it("says what orientation found and changed in both the Markdown and the HTML, in the same words", () => {
    const r = report();
    if (!r.orientation) throw new Error("the fixture has an orientation");
    const line = orientationLine(r.orientation);
    expect(line).toContain("constraining agent: planner");
    expect(renderMarkdown(r)).toContain(`**Orientation.** ${line}`);
    expect(renderHtml(r)).toContain(`<strong>Orientation.</strong> ${line}`);
  });

  it("names a label-free run's held-out number as a judged win rate vs the baseline, never an accuracy, without a relative gain", () => {
    const r = buildReport({
      ...inputs(),
      heldOut: { baseline: 0.5, final: 0.72, examples: 50, hash: "abc", measure: "judge-vs-baseline", malformedVerdicts: 2 },
      trainMeasure: "judge-vs-baseline",
    });
    expect(r.delta.heldOut).toMatchObject({ measure: "judge-vs-baseline", baseline: 0.5, final: 0.72, relative: null });
    expect(r.trainMeasure).toBe("judge-vs-baseline");
    expect(r.malformedVerdicts).toBe(2);
    expect(ReportSchema.parse(r).delta.heldOut.measure).toBe("judge-vs-baseline");
    const md = renderMarkdown(r);
    expect(md).toContain("**Held-out judged win rate vs the baseline: 50.0% → 72.0%**");
    expect(md).toContain("**not an accuracy**");
    expect(md).toContain("in both orders");
    expect(md).toContain("Per round: the current graph on the whole train pool (judged win rate vs the baseline)");
    expect(md).not.toContain("Held-out final metric");
    expect(renderHtml(r)).toContain("Held-out judged win rate vs the baseline: 50.0% → 72.0%");
  });

  it("a labelled report says final metric, and a report written before measures existed reads as one", () => {
    const r = report();
    expect(r.delta.heldOut.measure).toBe("task-metric");
    expect(renderMarkdown(r)).toContain("**Held-out final metric: 40.0% → 60.0%**");
    const { measure: _m, ...oldHeldOut } = r.delta.heldOut;
    const { trainMeasure: _t, ...old } = r;
    const parsed = ReportSchema.parse({ ...old, delta: { ...r.delta, heldOut: oldHeldOut } });
    expect([parsed.delta.heldOut.measure, parsed.trainMeasure]).toEqual(["task-metric", "task-metric"]);
  });

  it("blames a final-metric floor above the baseline, not the topology, when the floor refused every candidate", () => {
    const s = state();
    s.bestRound = 0;
    s.guardEvents = [{ round: 1, agent: "planner", guard: "finalMetricFloor", detail: "candidate v final metric 0.000 < floor 0.5" }];
    const r = buildReport({
      ...inputs(),
      state: s,
      perAgent: { planner: { local: 0, lookahead: 0, global: 0 }, solver: { local: 0, lookahead: null, global: 0 } },
      finalMetricFloor: 0.5,
    });
    expect(r.recommendations[0]).toMatch(/guards\.finalMetricFloor 0\.5 is above the baseline's own train metric \(40\.0%\)/);
    expect(r.recommendations.some((x) => /topology change/.test(x))).toBe(false);
    // without the floor the same run is read as a constraining agent that barely moved
    const unguarded = buildReport({
      ...inputs(),
      state: s,
      perAgent: { planner: { local: 0, lookahead: 0, global: 0 }, solver: { local: 0, lookahead: null, global: 0 } },
    });
    expect(unguarded.recommendations.some((x) => /topology change/.test(x))).toBe(true);
  });
});

describe("report: a round token cap", () => {
  it("recommends raising guards.tokensPerRoundMax when it cut rounds short, with each round's figures in report.json", () => {
    const s = state();
    const tokenCap = { cap: 5000, reserved: 1200, spent: 4900, measure: 1100 };
    s.rounds = s.rounds.map((r) => ({ ...r, tokenCap }));
    s.guardEvents = [
      {
        round: 1,
        agent: "solver",
        guard: "tokensPerRoundMax",
        detail: "epoch 1 round 1 solver dropped: the round reached its token ceiling during it",
      },
    ];
    const r = buildReport({ ...inputs(), state: s });
    expect(r.rounds[0]?.tokenCap).toEqual(tokenCap);
    expect(r.guards).toEqual(s.guardEvents);
    expect(r.recommendations.some((x) => x.startsWith("guards.tokensPerRoundMax 5000 cut 1 of 1 rounds short (round 1: the step"))).toBe(
      true,
    );
    // A report whose cap never stopped a step says nothing of it.
    expect(buildReport({ ...inputs(), state: { ...s, guardEvents: [] } }).recommendations.some((x) => /tokensPerRoundMax/.test(x))).toBe(
      false,
    );
  });
});

describe("report: misalignment re-tested, recommendations, cost and units", () => {
  const retest = (exampleId: string, finalScore: number | null) => ({
    agentId: "planner",
    exampleId,
    category: "global: wrong answer",
    finalScore,
    upstreamFailed: false,
    strength: 1,
  });

  it("a buffered case that is repaired under the final prompts shows as repaired, and a category with none open is repaired", () => {
    const r = buildReport({ ...inputs(), unrepaired: [retest("t1", 1), retest("t2", 1)] });
    expect(r.misalignment.cases.map((c) => [c.exampleId, c.repaired])).toEqual([
      ["t1", true],
      ["t2", true],
    ]);
    expect(r.misalignment.topCategories[0]).toMatchObject({ repaired: 2, open: 0, trend: "repaired" });
    expect(r.remainingFailures.unrepairedCases).toEqual([]);
  });

  it("a category shrank when fewer of its cases are open than it had when first seen, and grew when more are", () => {
    const s = state();
    s.rounds = [{ ...(s.rounds[0] as RunState["rounds"][number]), categories: { "global: wrong answer": 1 }, bufferSize: 1 }];
    const grew = buildReport({ ...inputs(), state: s, unrepaired: [retest("t1", 0), retest("t2", 0)] });
    expect(grew.misalignment.topCategories[0]).toMatchObject({ firstSeen: { round: 1, count: 1 }, open: 2, trend: "grew" });
    expect(grew.recommendations.some((x) => /global: wrong answer \(2 open, 1 when first seen in round 1\) grew/.test(x))).toBe(true);
    const s3 = state();
    s3.rounds = [{ ...(s3.rounds[0] as RunState["rounds"][number]), categories: { "global: wrong answer": 2 } }];
    const shrank = buildReport({ ...inputs(), state: s3, unrepaired: [retest("t1", 1), retest("t2", 0)] });
    expect(shrank.misalignment.topCategories[0]).toMatchObject({ repaired: 1, open: 1, trend: "shrank" });
  });

  it("a buffer that grew at 3 consecutive round ends yields the topology recommendation with its rounds and sizes; 2 do not", () => {
    const withSizes = (sizes: number[]) => {
      const s = state();
      const r0 = s.rounds[0] as RunState["rounds"][number];
      s.rounds = sizes.map((bufferSize, i) => ({ ...r0, round: i + 1, bufferSize }));
      return buildReport({ ...inputs(), state: s, finalAgent: "solver" });
    };
    const grown = withSizes([2, 5, 9, 14]);
    expect(grown.misalignment.growth.longestGrowthRounds).toBe(3);
    const rec = grown.recommendations.find((x) => /topology change/.test(x) && /ℬ_mis grew/.test(x));
    expect(rec).toContain("round 1: 2 → round 2: 5 → round 3: 9 → round 4: 14");
    expect(rec).toContain("most of it at planner (2 of the 2 cases)");
    const twice = withSizes([2, 5, 9, 9]);
    expect(twice.recommendations.some((x) => /ℬ_mis grew/.test(x))).toBe(false);
  });

  it("recommendations follow the stop reason: a patience stop is never told more rounds should pay, a deadline cut while improving is", () => {
    const patience = report();
    expect(patience.stopKind).toBe("patience");
    expect(patience.recommendations.some((x) => /more rounds of the same search are unlikely to pay/.test(x))).toBe(true);
    expect(patience.recommendations.some((x) => /should pay|still improving/.test(x))).toBe(false);
    const s = state();
    s.stopReason = "deadline reached";
    s.bestRound = 1;
    const cut = buildReport({ ...inputs(), state: s });
    expect(cut.stopKind).toBe("deadline");
    expect(cut.recommendations.some((x) => /while still improving: more rounds, time or budget should pay/.test(x))).toBe(true);
    expect(cut.recommendations.some((x) => /unlikely to pay/.test(x))).toBe(false);
  });

  it("names the remaining held-out failures and their largest mode in the recommendations and section 5", () => {
    const r = report();
    expect(r.recommendations.some((x) => x.startsWith("20 of 50 held-out examples still fail") && x.includes("solver (local lens)"))).toBe(
      true,
    );
    const md = renderMarkdown(r);
    expect(md).toContain("20 of 50 held-out examples (40.0%) still fail under the final prompts; 1 of them the baseline got right.");
    expect(md).toContain("| 12 | solver | local |");
  });

  it("splits the cost by role and by model, and the Markdown shows the split", () => {
    const row = (role: "serving" | "evaluator" | "optimizer", endpointId: string, calls: number, usd: number) => ({
      endpointId,
      model: `${endpointId}-model`,
      role,
      calls,
      failedAttempts: 1,
      retries: 1,
      promptTokens: 10,
      completionTokens: 5,
      costUsd: usd,
      cacheHits: 2,
    });
    const r = buildReport({
      ...inputs(),
      usageRows: [row("serving", "a", 3, 0.5), row("serving", "b", 2, 0.25), row("evaluator", "a", 4, 1)],
    });
    expect(r.cost.byRole).toEqual({
      serving: { calls: 5, failedAttempts: 2, retries: 2, tokens: 30, usd: 0.75, cacheHits: 4 },
      evaluator: { calls: 4, failedAttempts: 1, retries: 1, tokens: 15, usd: 1, cacheHits: 2 },
    });
    expect(r.cost.byModel.map((m) => [m.role, m.endpointId, m.calls])).toEqual([
      ["serving", "a", 3],
      ["serving", "b", 2],
      ["evaluator", "a", 4],
    ]);
    expect(renderMarkdown(r)).toContain("| serving | a (a-model) | 3 | 15 | $0.5000 | 2 | 1 | 1 |");
  });

  it("renders every table cell the same in Markdown and HTML, rates as percentages with one decimal and deltas in points", () => {
    const r = report();
    const md = renderMarkdown(r);
    const html = renderHtml(r);
    expect(md).toContain("(+20.0 pts, +50.0% relative)");
    expect(html).toContain("(+20.0 pts, +50.0% relative)");
    expect(md).toContain("| planner | +20.0 pts | +10.0 pts | +15.0 pts |");
    expect(html).toContain("<td>planner</td><td>+20.0 pts</td><td>+10.0 pts</td><td>+15.0 pts</td>");
    expect(md).toContain("| 1 | planner | — | — | 70.0% | 60.0% | 65.0% | +20.0 pts |");
    // no bare fractions with three decimals where a rate or a delta is shown
    for (const text of [md, html.replace(/<svg[\s\S]*?<\/svg>/, "")]) expect(text).not.toMatch(/[+-]?\b0\.\d{3}\b/);
    expect(r.units.rates).toMatch(/fraction/);
  });

  it("plots train (each round end and the best so far) and held-out (baseline and returned set) against labelled axes", () => {
    const svg = renderHtml(report()).match(/<svg[\s\S]*?<\/svg>/)?.[0] ?? "";
    expect(svg).toContain("round (0 = initial prompts)");
    expect(svg).toContain("task metric (%)");
    expect(svg).toContain("train pool: current graph at each round end");
    expect(svg).toContain("held-out: initial prompts (round 0) and the returned set (round 0)");
    expect(svg.match(/<polyline/g)?.length).toBe(3);
    expect(svg).toContain(">100.0%<");
  });
});

describe("report: the starting config", () => {
  it("quotes each override of the method's starting config with its reason, and says when there is none", () => {
    const quoted = buildReport({
      ...inputs(),
      overrides: [{ setting: "search.beamSize", name: "K (beam size)", value: 2, default: 5, reason: "cost: a first look" }],
    });
    const line = "search.beamSize = 2 (default 5) — “cost: a first look”";
    expect(renderMarkdown(quoted)).toContain(line);
    expect(renderHtml(quoted)).toContain("search.beamSize = 2 (default 5) — “cost: a first look”");
    expect(renderMarkdown(report())).toContain("Starting config: the method's defaults (K = 5, T = 10, E = 3");
  });
});

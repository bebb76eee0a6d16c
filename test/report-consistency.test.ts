/**
 * The report of the default run (`maspo run examples/math-chain.yaml`, the README's first example:
 * about 7 s on simlm), read top to bottom, contradicts itself nowhere (issue 14, "Done when"): the
 * recommendations agree with the stop reason, the remaining failure modes count the held-out
 * failures, every evaluated candidate carries its lenses, repaired categories agree with the
 * re-tested cases, the fields that must not decrease do not, and the renderings use one unit style.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Report, ReportSchema } from "@maspo/coordinator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, SMALL_SPEC, removeTempDirs, spawnMaspo, tempDir } from "./fixtures/maspo-processes.js";

let report: Report;
let md: string;
let html: string;

beforeAll(async () => {
  const out = await tempDir("maspo-report-consistency-");
  const proc = spawnMaspo("default-run", ["run", join(ROOT, "examples/math-chain.yaml"), "--out", out, "--quiet"]);
  const { code } = await proc.exited;
  expect(code, proc.output()).toBe(0);
  report = ReportSchema.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
  md = await readFile(join(out, "report.md"), "utf8");
  html = await readFile(join(out, "report.html"), "utf8");
}, 300_000);
afterAll(removeTempDirs);

describe("the default math-chain run's report", () => {
  it("recommends nothing its stop reason rules out", () => {
    expect(report.stopKind).toBe("patience");
    const recs = report.recommendations.join("\n");
    // Stopped because rounds stopped paying: never "more rounds should pay", never "still improving".
    expect(recs).not.toMatch(/should pay|still improving|still moving/i);
    expect(recs).toMatch(/more rounds of the same search are unlikely to pay/);
    // It improved held-out, so no "no held-out gain"; it did not reach a target it did not have.
    expect(report.delta.heldOut.absolute).toBeGreaterThan(0);
    expect(recs).not.toMatch(/No held-out gain|target metric was reached/);
  });

  it("counts its held-out failures in the remaining failure modes, each once", () => {
    const h = report.delta.heldOut;
    const f = report.remainingFailures.heldOut;
    expect(f.examples).toBe(h.examples);
    // math-chain's metric is right or wrong per example, so the failures are (1 − final) of held-out.
    expect(f.failed).toBe(Math.round((1 - h.final) * h.examples));
    expect(f.failed).toBeGreaterThan(0);
    expect(f.modes.reduce((n, m) => n + m.count, 0)).toBe(f.failed);
    expect(f.regressed).toBeLessThanOrEqual(f.failed);
    expect(md).toContain(`${f.failed} of ${f.examples} held-out examples`);
    expect(report.recommendations.some((r) => r.startsWith(`${f.failed} of ${f.examples} held-out examples still fail`))).toBe(true);
  });

  it("carries every evaluated candidate's lenses, lineage and verdict, consistent with the promotions and the returned set", () => {
    expect(report.candidates.length).toBeGreaterThan(0);
    const finalAgent = "formatter";
    for (const c of report.candidates) {
      for (const lens of [c.lenses.local, c.lenses.global]) expect(lens).toBeGreaterThanOrEqual(0);
      expect(c.lenses.lookahead === null).toBe(c.agent === finalAgent);
      expect(c.parent).toMatch(/^[0-9a-f]+$/);
      expect(c.why).not.toBe("");
    }
    const promoted = new Set(report.candidates.filter((c) => c.verdict === "promoted").map((c) => `${c.agent}:${c.version}`));
    for (const p of report.promotions.filter((x) => x.via !== "refresh")) expect(promoted.has(`${p.agent}:${p.to}`)).toBe(true);
    // The returned prompts are initial ones or recorded candidates that were promoted at some point.
    for (const c of report.candidates.filter((x) => x.final)) expect(c.verdict === "promoted" || c.promotedLater.length > 0).toBe(true);
    const changedAgents = Object.keys(report.finalPrompts).filter((a) => report.finalPrompts[a] !== report.initialPrompts[a]);
    for (const a of changedAgents) expect(report.candidates.some((c) => c.agent === a && c.final)).toBe(true);
  });

  it("says repaired only of categories whose every re-tested case is repaired, and counts them the same everywhere", () => {
    for (const cat of report.misalignment.topCategories) {
      const cases = report.misalignment.cases.filter((c) => c.category === cat.category);
      expect(cases.length).toBe(cat.count);
      expect(cases.filter((c) => c.repaired === true).length).toBe(cat.repaired);
      expect(cat.open).toBe(cat.count - cat.repaired);
      expect(cat.trend === "repaired").toBe(cat.open === 0);
      if (cat.trend === "grew") expect(cat.open).toBeGreaterThan(cat.firstSeen.count);
      if (cat.trend === "shrank") expect(cat.open).toBeLessThan(cat.firstSeen.count);
    }
    const open = report.misalignment.cases.filter((c) => c.repaired !== true).length;
    // The unrepaired cases of section 5 are the open ones (one line per agent, example and signature).
    expect(report.remainingFailures.unrepairedCases.length).toBeLessThanOrEqual(open);
    if (open === 0) expect(report.remainingFailures.unrepairedCases).toEqual([]);
    expect(report.misalignment.count).toBe(report.misalignment.cases.length);
    expect(report.misalignment.count).toBe(report.rounds.at(-1)?.bufferSize);
  });

  it("keeps the fields that cannot decrease monotone, and the returned round the best measured", () => {
    const rounds = report.rounds;
    expect(rounds.length).toBeGreaterThan(0);
    for (let i = 1; i < rounds.length; i++) {
      const [a, b] = [rounds[i - 1], rounds[i]] as [Report["rounds"][number], Report["rounds"][number]];
      expect(b.round).toBeGreaterThan(a.round);
      expect(b.bestTrainMetric).toBeGreaterThanOrEqual(a.bestTrainMetric);
      expect(b.calls).toBeGreaterThanOrEqual(a.calls);
      expect(b.tokens).toBeGreaterThanOrEqual(a.tokens);
    }
    for (const r of rounds) expect(r.bestTrainMetric).toBeGreaterThanOrEqual(r.trainMetric);
    const last = rounds.at(-1) as Report["rounds"][number];
    expect(last.bestRound).toBe(report.finalRound);
    expect(rounds.find((r) => r.round === report.finalRound)?.trainMetric).toBe(last.bestTrainMetric);
    expect(report.cost.calls).toBeGreaterThanOrEqual(last.calls);
    // Each round records the current graph: one prompt version per agent.
    for (const r of rounds) expect(Object.keys(r.versions).sort()).toEqual(Object.keys(report.finalPrompts).sort());
    // Trajectory rows come in round order and name what their lenses were measured against.
    report.trajectory.forEach((t, i) => {
      expect(t.round).toBeGreaterThanOrEqual(report.trajectory[i - 1]?.round ?? 0);
      expect(t.best_reference).toBeDefined();
    });
  });

  it("uses one unit style: fractions in the JSON, percentages with one decimal and points in Markdown and HTML", () => {
    const fractions = [
      report.delta.heldOut.baseline,
      report.delta.heldOut.final,
      ...report.rounds.flatMap((r) => [r.trainMetric, r.bestTrainMetric]),
      ...report.candidates.flatMap((c) => [c.lenses.local, c.lenses.global]),
    ];
    for (const x of fractions) expect(x >= 0 && x <= 1).toBe(true);
    const body = html.replace(/<svg[\s\S]*?<\/svg>/, "");
    for (const text of [md, body]) {
      expect(text).not.toMatch(/\d+\.\d{2,}%/); // no percentage with more than one decimal
      expect(text).not.toMatch(/[+-]0\.\d{3}\b/); // no signed fraction where a delta is shown
      expect(text).not.toMatch(/\bpoints\)/); // deltas say "pts", one word for it
    }
    const h = report.delta.heldOut;
    const rates = `${(h.baseline * 100).toFixed(1)}% → ${(h.final * 100).toFixed(1)}%`;
    const delta = `(+${(h.absolute * 100).toFixed(1)} pts`;
    for (const text of [md, html]) expect([text.includes(rates), text.includes(delta)]).toEqual([true, true]);
    // The cost split adds up to the run's cost.
    const byRole = Object.values(report.cost.byRole);
    expect(byRole.reduce((n, r) => n + r.calls, 0)).toBe(report.cost.calls);
    expect(report.oracle?.gapClosed ?? Number.NaN).toBeCloseTo(
      (report.delta.heldOut.final - (report.oracle?.floor ?? 0)) / ((report.oracle?.ceiling ?? 1) - (report.oracle?.floor ?? 0)),
    );
  });
});

describe("a report of a spec that overrides the starting config (the tests' small spec)", () => {
  it("quotes the spec's reason for each override, once per reason", async () => {
    const out = await tempDir("maspo-report-overrides-");
    const proc = spawnMaspo("small-run", ["run", SMALL_SPEC, "--out", out, "--quiet"]);
    const { code } = await proc.exited;
    expect(code, proc.output()).toBe(0);
    const r = ReportSchema.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
    expect(r.overrides.map((o) => [o.setting, o.value, o.default])).toEqual([
      ["search.beamSize", 3, 5],
      ["search.rounds", 2, 10],
      ["search.epochs", 1, 3],
    ]);
    const reason = r.overrides[0]?.reason ?? "";
    expect(reason).toMatch(/small run/);
    const text = await readFile(join(out, "report.md"), "utf8");
    expect(text).toContain(`search.beamSize = 3 (default 5), search.rounds = 2 (default 10), search.epochs = 1 (default 3) — “${reason}”`);
    expect(text.split(reason).length - 1).toBe(1);
  }, 120_000);
});

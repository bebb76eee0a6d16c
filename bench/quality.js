/**
 * The quality benchmark: every bundled simlm world × {full MASPO, each ablation} × seeds, each run
 * in process through the built `runEmbedded` (the example spec with the seed overridden, its own temp
 * output directory), scored against the world's oracle as the fraction of the gap it closed:
 * (final − floor) / (ceiling − floor) on the held-out split. Writes quality.json and quality.md and
 * says plainly whether the two targets are met: full MASPO closes ≥ 60% of the gap on every world
 * (median over seeds), and beats every ablation on average. Timings live here, never in tests.
 */
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { performance } from "node:perf_hooks";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NO_ABLATIONS } from "@maspo/coordinator";
import { loadSpecFile } from "@maspo/core";
import { bundledWorldNames, detectDirectives, expectedScore, loadWorld, oracle } from "@maspo/simlm";
import { runEmbedded } from "../packages/cli/dist/embedded-run.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export const GAP_TARGET = 0.6;

/** Full MASPO and one run per ablation flag of `maspo run`. */
export const CONFIGS = [
  { name: "full", flag: "", ablations: {} },
  { name: "no-lookahead", flag: "--no-lookahead", ablations: { noLookahead: true } },
  { name: "no-misalignment", flag: "--no-misalignment", ablations: { noMisalignment: true } },
  { name: "no-refresh", flag: "--no-refresh", ablations: { noRefresh: true } },
  { name: "global-only", flag: "--global-only", ablations: { globalOnly: true } },
  { name: "independent", flag: "--independent", ablations: { independent: true } },
  { name: "no-traces", flag: "--no-traces", ablations: { noTraces: true } },
];


const SILENT_PROGRESS = { step() {}, round() {}, message() {}, stop() {} };

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return null;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function mean(xs) {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** The noise-free expected held-out score of a prompt set: the oracle's model applied to the directives it carries. */
function expectedOf(world, prompts) {
  const assignment = Object.fromEntries(world.agents.map((a) => [a.id, detectDirectives(a, prompts[a.id] ?? "")]));
  return expectedScore(world, assignment);
}

async function runOne({ world, worldName, spec, specPath, config, seed, oracleResult }) {
  const outDir = await mkdtemp(join(tmpdir(), `maspo-bench-${worldName}-${config.name}-${seed}-`));
  const started = performance.now();
  try {
    const { report } = await runEmbedded({
      spec: { ...spec, seed },
      specDir: dirname(specPath),
      outDir,
      resume: false,
      ablations: { ...NO_ABLATIONS, ...config.ablations },
      env: process.env,
      progress: SILENT_PROGRESS,
    });
    const wallSeconds = (performance.now() - started) / 1000;
    const { floor, ceiling } = oracleResult;
    const final = report.delta.heldOut.final;
    const expected = expectedOf(world, report.finalPrompts);
    return {
      world: worldName,
      config: config.name,
      seed,
      baseline: report.delta.heldOut.baseline,
      final,
      gapClosed: (final - floor) / (ceiling - floor),
      expectedFinal: expected,
      expectedGapClosed: (expected - floor) / (ceiling - floor),
      calls: report.cost.calls,
      tokens: report.cost.tokens,
      cacheHits: report.cost.cacheHits,
      wallSeconds,
      rounds: report.rounds.length,
      finalRound: report.finalRound,
      stopReason: report.stopReason,
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** Medians per world and means per config, and the verdict on both targets. */
export function summarize(rows, worldsInfo) {
  const worlds = [...new Set(rows.map((r) => r.world))];
  const configs = CONFIGS.map((c) => c.name).filter((name) => rows.some((r) => r.config === name));
  const cell = (world, config) => rows.filter((r) => r.world === world && r.config === config);
  const perWorld = worlds.map((world) => {
    const full = cell(world, "full");
    return {
      world,
      floor: worldsInfo[world].floor,
      ceiling: worldsInfo[world].ceiling,
      fullMedianGapClosed: median(full.map((r) => r.gapClosed)),
      fullMedianExpectedGapClosed: median(full.map((r) => r.expectedGapClosed)),
      meanGapClosedByConfig: Object.fromEntries(configs.map((c) => [c, mean(cell(world, c).map((r) => r.gapClosed))])),
    };
  });
  const perConfig = configs.map((config) => {
    const rs = rows.filter((r) => r.config === config);
    return {
      config,
      runs: rs.length,
      meanGapClosed: mean(rs.map((r) => r.gapClosed)),
      meanExpectedGapClosed: mean(rs.map((r) => r.expectedGapClosed)),
      meanFinal: mean(rs.map((r) => r.final)),
      meanCalls: mean(rs.map((r) => r.calls)),
      meanTokens: mean(rs.map((r) => r.tokens)),
      meanWallSeconds: mean(rs.map((r) => r.wallSeconds)),
    };
  });
  const full = perConfig.find((c) => c.config === "full");
  const ablations = perConfig.filter((c) => c.config !== "full");
  const gapMet = perWorld.length > 0 && perWorld.every((w) => w.fullMedianGapClosed !== null && w.fullMedianGapClosed >= GAP_TARGET);
  const beatenBy = full ? ablations.filter((a) => a.meanGapClosed >= full.meanGapClosed).map((a) => a.config) : [];
  return {
    perWorld,
    perConfig,
    targets: {
      gapClosed: { target: GAP_TARGET, met: gapMet, failing: perWorld.filter((w) => !(w.fullMedianGapClosed >= GAP_TARGET)).map((w) => w.world) },
      beatsEveryAblation: { met: full !== undefined && ablations.length > 0 && beatenBy.length === 0, notBeaten: beatenBy, compared: ablations.map((a) => a.config) },
    },
  };
}

const pct = (x) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);

export function renderMarkdown(result) {
  const { summary, rows, settings } = result;
  const lines = [];
  const yes = (b) => (b ? "**met**" : "**NOT met**");
  lines.push("# maspo quality benchmark");
  lines.push("");
  lines.push(
    `Every bundled simlm world × {full, each ablation} × seeds ${settings.seeds.join(", ")}, default budget of each example spec ` +
      "(K=5, T=10, E=3, 2 children, minibatch 10, patience 3). Score: the held-out final metric, and the fraction of the " +
      "oracle gap it closed, (final − floor) / (ceiling − floor). \"expected\" is the oracle's noise-free score of the same final prompts.",
  );
  lines.push("");
  lines.push(`Generated ${result.generatedAt} by \`${settings.command}\` in ${(result.wallSeconds / 60).toFixed(1)} min.`);
  if (settings.partial) lines.push("", `**Partial run** (${settings.partial}): the targets below are judged on what ran.`);
  lines.push("");
  lines.push("## Targets");
  lines.push("");
  const g = summary.targets.gapClosed;
  lines.push(
    `- Full MASPO closes ≥ ${GAP_TARGET * 100}% of the gap on every world (median over seeds): ${yes(g.met)}` +
      (g.met ? "." : ` — short on ${g.failing.join(", ")}.`),
  );
  const b = summary.targets.beatsEveryAblation;
  lines.push(
    `- Full MASPO beats every ablation on average (mean gap closed over all worlds and seeds): ${yes(b.met)}` +
      (b.met ? "." : b.compared.length === 0 ? " — no ablation ran." : ` — not ahead of ${b.notBeaten.join(", ")}.`),
  );
  lines.push("");
  lines.push("## Full MASPO per world");
  lines.push("");
  lines.push("| world | floor | ceiling | median gap closed | median gap closed (expected) |");
  lines.push("| --- | --- | --- | --- | --- |");
  for (const w of summary.perWorld) {
    lines.push(`| ${w.world} | ${pct(w.floor)} | ${pct(w.ceiling)} | ${pct(w.fullMedianGapClosed)} | ${pct(w.fullMedianExpectedGapClosed)} |`);
  }
  lines.push("");
  lines.push("## Per configuration (mean over worlds and seeds)");
  lines.push("");
  lines.push("| config | runs | gap closed | gap closed (expected) | held-out final | calls | tokens | wall s |");
  lines.push("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const c of summary.perConfig) {
    lines.push(
      `| ${c.config} | ${c.runs} | ${pct(c.meanGapClosed)} | ${pct(c.meanExpectedGapClosed)} | ${pct(c.meanFinal)} | ${Math.round(c.meanCalls)} | ${Math.round(c.meanTokens)} | ${c.meanWallSeconds.toFixed(1)} |`,
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
  lines.push("| world | config | seed | baseline | final | gap closed | expected final | calls | tokens | wall s | rounds | stop |");
  lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rows) {
    lines.push(
      `| ${r.world} | ${r.config} | ${r.seed} | ${pct(r.baseline)} | ${pct(r.final)} | ${pct(r.gapClosed)} | ${pct(r.expectedFinal)} | ${r.calls} | ${r.tokens} | ${r.wallSeconds.toFixed(1)} | ${r.rounds} | ${r.stopReason} |`,
    );
  }
  lines.push("");
  return lines.join("\n");
}

/**
 * Runs the benchmark and writes `<resultsDir>/quality.json` and `.md`. Runs go one after another:
 * each is CPU-bound in the simulated world, and the machine is shared.
 */
export async function runQualityBench(options = {}) {
  const worlds = options.worlds ?? bundledWorldNames();
  const seeds = options.seeds ?? [1, 2, 3];
  const configs = options.configs ? CONFIGS.filter((c) => options.configs.includes(c.name)) : CONFIGS;
  const resultsDir = options.resultsDir ?? join(ROOT, "bench", "results");
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const started = performance.now();
  const rows = [];
  const worldsInfo = {};
  for (const worldName of worlds) {
    const world = loadWorld(worldName);
    const oracleResult = oracle(world);
    worldsInfo[worldName] = { floor: oracleResult.floor, ceiling: oracleResult.ceiling };
    const specPath = join(ROOT, "examples", `${worldName}.yaml`);
    const spec = await loadSpecFile(specPath, { env: process.env });
    for (const config of configs) {
      for (const seed of seeds) {
        const row = await runOne({ world, worldName, spec, specPath, config, seed, oracleResult });
        rows.push(row);
        log(
          `${worldName} ${config.name} seed ${seed}: held-out ${pct(row.baseline)} → ${pct(row.final)}, gap closed ${pct(row.gapClosed)} (expected ${pct(row.expectedGapClosed)}), ${row.calls} calls, ${row.wallSeconds.toFixed(1)} s`,
        );
      }
    }
  }
  const partial = [
    options.worlds ? `worlds ${worlds.join(", ")}` : "",
    options.seeds ? `seeds ${seeds.join(", ")}` : "",
    options.configs ? `configs ${configs.map((c) => c.name).join(", ")}` : "",
  ]
    .filter(Boolean)
    .join("; ");
  const result = {
    generatedAt: new Date().toISOString(),
    wallSeconds: (performance.now() - started) / 1000,
    settings: { worlds, seeds, configs: configs.map((c) => c.name), command: options.command ?? "npm run bench", partial: partial || null },
    worlds: worldsInfo,
    summary: summarize(rows, worldsInfo),
    rows,
  };
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, "quality.json"), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(resultsDir, "quality.md"), renderMarkdown(result));
  return result;
}

/**
 * The quality benchmark: every bundled simlm world × {full MASPO, each ablation} × seeds, each run
 * in process through the built `runEmbedded` (the example spec with the seed overridden, its own temp
 * output directory), scored against the world's oracle as the fraction of the gap it closed:
 * (final − floor) / (ceiling − floor) on the held-out split. Writes quality.json and quality.md and
 * says plainly whether the two targets are met: full MASPO closes ≥ 60% of the gap on every world
 * (median over seeds), and beats every ablation on average. Timings live here, never in tests.
 */
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { Worker } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NO_ABLATIONS } from "@maspo/core";
import { Rng, loadSpecFile } from "@maspo/core";
import { bundledWorldNames, compileWorld, detectDirectives, expectedScore, loadWorld, oracle, recogniseAgent } from "@maspo/simlm";
import { runEmbedded } from "@maspo/run";

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

function median(values) {
  const s = values.filter((x) => x !== null).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Mean of the known values (an expected score is null when the oracle cannot model the prompts). */
function mean(values) {
  const xs = values.filter((x) => x !== null);
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * The noise-free expected held-out score of a prompt set: the oracle's model applied to the directives
 * it carries. null when a prompt no longer names its agent's role: simlm then answers as a generic
 * assistant, which the oracle's model (roles with directive sets) does not describe.
 */
function expectedOf(world, prompts) {
  const cw = compileWorld(world);
  if (world.agents.some((a) => recogniseAgent(cw, prompts[a.id] ?? "")?.id !== a.id)) return null;
  const assignment = Object.fromEntries(world.agents.map((a) => [a.id, detectDirectives(a, prompts[a.id] ?? "")]));
  return expectedScore(world, assignment);
}

export async function runOne({ world, worldName, spec, specPath, config, seed, oracleResult }) {
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
      expectedGapClosed: expected === null ? null : (expected - floor) / (ceiling - floor),
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
  const paired = ablations.map((a) => pairedComparison(rows, a.config));
  const gapMet = perWorld.length > 0 && perWorld.every((w) => w.fullMedianGapClosed !== null && w.fullMedianGapClosed >= GAP_TARGET);
  const beatenBy = full ? ablations.filter((a) => a.meanGapClosed >= full.meanGapClosed).map((a) => a.config) : [];
  return {
    perWorld,
    perConfig,
    paired,
    targets: {
      gapClosed: {
        target: GAP_TARGET,
        met: gapMet,
        failing: perWorld.filter((w) => !(w.fullMedianGapClosed >= GAP_TARGET)).map((w) => w.world),
      },
      beatsEveryAblation: {
        met: full !== undefined && ablations.length > 0 && beatenBy.length === 0,
        notBeaten: beatenBy,
        compared: ablations.map((a) => a.config),
      },
    },
  };
}

/**
 * Full MASPO against one ablation, paired on (world, seed): the same spec, seed and data, only the
 * ablation differs. The mean difference in gap closed with a 95% bootstrap interval (resampling the
 * pairs; fixed seed, so the numbers reproduce) says whether a difference is larger than run-to-run noise.
 */
function pairedComparison(rows, ablation) {
  const key = (r) => `${r.world}\u0000${r.seed}`;
  const fullBy = new Map(rows.filter((r) => r.config === "full").map((r) => [key(r), r]));
  const diffs = rows.filter((r) => r.config === ablation && fullBy.has(key(r))).map((r) => fullBy.get(key(r)).gapClosed - r.gapClosed);
  const meanDiff = mean(diffs);
  let interval = null;
  if (diffs.length >= 2) {
    // A fixed seed: the interval is the same on every rendering of the same rows.
    const rng = new Rng(20260421);
    const means = [];
    for (let b = 0; b < 4000; b++) {
      let sum = 0;
      for (let i = 0; i < diffs.length; i++) sum += diffs[rng.int(diffs.length)];
      means.push(sum / diffs.length);
    }
    means.sort((x, y) => x - y);
    interval = [means[Math.floor(0.025 * means.length)], means[Math.floor(0.975 * means.length)]];
  }
  const eps = 1e-9;
  return {
    ablation,
    pairs: diffs.length,
    meanDifference: meanDiff,
    interval95: interval,
    fullAhead: diffs.filter((d) => d > eps).length,
    ablationAhead: diffs.filter((d) => d < -eps).length,
    same: diffs.filter((d) => Math.abs(d) <= eps).length,
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
      "oracle gap it closed, (final − floor) / (ceiling − floor). \"expected\" is the oracle's noise-free score of the same final prompts (— when a final prompt lost its agent's role, which the oracle does not model; means and medians skip those).",
  );
  lines.push("");
  lines.push(
    `Generated ${result.generatedAt} by \`${settings.command}\` in ${(result.wallSeconds / 60).toFixed(1)} min, ` +
      `${settings.jobs} run${settings.jobs === 1 ? "" : "s"} at a time (a run's wall time is measured under that load).`,
  );
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
  lines.push("## Full MASPO against each ablation (paired on world and seed)");
  lines.push("");
  lines.push(
    "Difference in gap closed, full minus ablation, over the runs that share a world and a seed; the 95% interval is a " +
      "bootstrap over those pairs. An interval that contains 0 means the two are not told apart by this many runs.",
  );
  lines.push("");
  lines.push("| ablation | pairs | mean difference | 95% interval | full ahead | ablation ahead | same |");
  lines.push("| --- | --- | --- | --- | --- | --- | --- |");
  for (const p of summary.paired) {
    const ci = p.interval95 ? `${pct(p.interval95[0])} … ${pct(p.interval95[1])}` : "—";
    lines.push(`| ${p.ablation} | ${p.pairs} | ${pct(p.meanDifference)} | ${ci} | ${p.fullAhead} | ${p.ablationAhead} | ${p.same} |`);
  }
  lines.push("");
  lines.push("## Full MASPO per world");
  lines.push("");
  lines.push("| world | floor | ceiling | median gap closed | median gap closed (expected) |");
  lines.push("| --- | --- | --- | --- | --- |");
  for (const w of summary.perWorld) {
    lines.push(
      `| ${w.world} | ${pct(w.floor)} | ${pct(w.ceiling)} | ${pct(w.fullMedianGapClosed)} | ${pct(w.fullMedianExpectedGapClosed)} |`,
    );
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

const loadedWorlds = new Map();

/** A world's model, oracle and example spec, loaded once per thread. */
async function worldSetup(worldName) {
  let setup = loadedWorlds.get(worldName);
  if (!setup) {
    const world = loadWorld(worldName);
    const specPath = join(ROOT, "examples", `${worldName}.yaml`);
    setup = { world, oracleResult: oracle(world), specPath, spec: await loadSpecFile(specPath, { env: process.env }) };
    loadedWorlds.set(worldName, setup);
  }
  return setup;
}

/** One benchmark run, named by plain data so a worker thread can take it: { worldName, config, seed }. */
export async function runTask(task) {
  const { world, oracleResult, specPath, spec } = await worldSetup(task.worldName);
  const config = CONFIGS.find((c) => c.name === task.config);
  if (!config) throw new Error(`unknown config ${task.config}`);
  return runOne({ world, worldName: task.worldName, spec, specPath, config, seed: task.seed, oracleResult });
}

/** Runs the tasks on `jobs` worker threads (each run is CPU-bound and single-threaded); rows in task order. */
async function runTasks(tasks, jobs, onRow) {
  const rows = new Array(tasks.length);
  if (jobs <= 1) {
    for (const [i, task] of tasks.entries()) onRow((rows[i] = await runTask(task)));
    return rows;
  }
  let next = 0;
  const threads = [];
  const worker = () =>
    new Promise((resolve, reject) => {
      const thread = new Worker(new URL("./quality-worker.js", import.meta.url));
      threads.push(thread);
      const feed = () => {
        if (next >= tasks.length) {
          void thread.terminate().then(() => resolve());
          return;
        }
        const index = next++;
        thread.postMessage({ index, task: tasks[index] });
      };
      thread.on("message", (msg) => {
        if (msg.error) {
          reject(new Error(`bench run ${JSON.stringify(tasks[msg.index])} failed: ${msg.error}`));
          return;
        }
        rows[msg.index] = msg.row;
        onRow(msg.row);
        feed();
      });
      thread.on("error", reject);
      feed();
    });
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  } catch (err) {
    // One failed run fails the bench; the other threads would keep the process alive, so they stop too.
    await Promise.all(threads.map((t) => t.terminate()));
    throw err;
  }
  return rows;
}

/** The seeds of a default run: 3 cannot tell apart configurations a point or two apart (see README). */
export const DEFAULT_SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9];

/**
 * Runs the benchmark and writes `<resultsDir>/quality.json` and `.md`. Runs are spread over `jobs`
 * worker threads (default: 2, or 1 on a one-core machine); wall times are measured under that load.
 */
export async function runQualityBench(options = {}) {
  const worlds = options.worlds ?? bundledWorldNames();
  const seeds = options.seeds ?? DEFAULT_SEEDS;
  const configs = options.configs ? CONFIGS.filter((c) => options.configs.includes(c.name)) : CONFIGS;
  const jobs = options.jobs ?? Math.min(2, availableParallelism());
  const resultsDir = options.resultsDir ?? join(ROOT, "bench", "results");
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const started = performance.now();
  const worldsInfo = {};
  const tasks = [];
  for (const worldName of worlds) {
    const { oracleResult } = await worldSetup(worldName);
    worldsInfo[worldName] = { floor: oracleResult.floor, ceiling: oracleResult.ceiling };
    for (const config of configs) for (const seed of seeds) tasks.push({ worldName, config: config.name, seed });
  }
  const rows = await runTasks(tasks, jobs, (row) =>
    log(
      `${row.world} ${row.config} seed ${row.seed}: held-out ${pct(row.baseline)} → ${pct(row.final)}, gap closed ${pct(row.gapClosed)} (expected ${pct(row.expectedGapClosed)}), ${row.calls} calls, ${row.wallSeconds.toFixed(1)} s`,
    ),
  );
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
    settings: {
      worlds,
      seeds,
      configs: configs.map((c) => c.name),
      jobs,
      command: options.command ?? "npm run bench",
      partial: partial || null,
    },
    worlds: worldsInfo,
    summary: summarize(rows, worldsInfo),
    rows,
  };
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, "quality.json"), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(resultsDir, "quality.md"), renderMarkdown(result));
  return result;
}

/**
 * The quality benchmark: every bundled simlm world × {full MASPO, each ablation, each peer} × seeds,
 * each run in process — MASPO through the built `runEmbedded` (the example spec with the seed
 * overridden, its own temp output directory), each peer through @maspo/peers on the same machinery
 * (executor, evaluator and mutator task adapters, the run's LLM client) — and scored against the
 * world's oracle as the fraction of the gap it closed: (final − floor) / (ceiling − floor) on the
 * held-out split. Equal budget: full MASPO runs first, and each peer is given the LLM calls full
 * MASPO sent during search on the same world and seed. Full MASPO and every peer also record their
 * best-so-far prompt set as they spend, measured on the held-out split at each budget point (the
 * anytime curves). Writes quality.json, quality.md and anytime.html and states each target of
 * issue 13 as met or not (quality-summary.js). Timings live here, never in tests.
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { Worker } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NO_ABLATIONS, initialPromptTexts, loadSpecFile } from "@maspo/core";
import { BUDGET_POINTS, PEERS, PEER_NAMES, anytimeCurve, meterCalls, openMachinery, runPeer } from "@maspo/peers";
import { bundledWorldNames, loadWorld, oracle } from "@maspo/simlm";
import { expectedScoreOf, runEmbedded } from "@maspo/run";
import { renderAnytimeHtml, renderMarkdown } from "./quality-render.js";
import { summarize } from "./quality-summary.js";
import { codeIdentity, defaultJournalPath, openJournal } from "./quality-journal.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const RESULTS = join(ROOT, "bench", "results");

/** Full MASPO, one run per ablation flag of `maspo run`, and each peer (bench baselines, @maspo/peers). */
export const CONFIGS = [
  { name: "full", kind: "maspo", flag: "", ablations: {} },
  { name: "no-lookahead", kind: "maspo", flag: "--no-lookahead", ablations: { noLookahead: true } },
  { name: "no-misalignment", kind: "maspo", flag: "--no-misalignment", ablations: { noMisalignment: true } },
  { name: "no-refresh", kind: "maspo", flag: "--no-refresh", ablations: { noRefresh: true } },
  { name: "global-only", kind: "maspo", flag: "--global-only", ablations: { globalOnly: true } },
  { name: "independent", kind: "maspo", flag: "--independent", ablations: { independent: true } },
  { name: "no-traces", kind: "maspo", flag: "--no-traces", ablations: { noTraces: true } },
  ...PEER_NAMES.map((name) => ({ name, kind: "peer", describe: PEERS[name].describe })),
];

const SILENT_PROGRESS = { step() {}, round() {}, message() {}, stop() {} };

/** A score as the fraction of the world's oracle gap; with the expected score of the same prompts. */
function gapOf(world, { floor, ceiling }, heldOut, prompts) {
  // The noise-free expected held-out score of the prompts (null: simlm would not recognise every agent), as the report reads it.
  const expected = expectedScoreOf(world, prompts);
  return {
    gapClosed: (heldOut - floor) / (ceiling - floor),
    expectedFinal: expected,
    expectedGapClosed: expected === null ? null : (expected - floor) / (ceiling - floor),
  };
}

/** The anytime points of a run as rows carry them: the budget point, when its set was reached, and its scores. */
function anytimeRows(world, oracleResult, curve) {
  return curve.map((p) => {
    const g = gapOf(world, oracleResult, p.heldOut, p.prompts);
    return { calls: p.calls, reachedAt: p.reachedAt, heldOut: p.heldOut, gapClosed: g.gapClosed, expectedGapClosed: g.expectedGapClosed };
  });
}

/**
 * One MASPO run. Its LLM client is metered like a peer's (calls sent during optimization, not the
 * finish), and at every round end the run's best-so-far set (the state's bestPrompts, what it would
 * return if stopped there) is recorded with the calls spent; full MASPO's sets are then measured on the
 * held-out split at each budget point, on a fresh copy of the same machinery.
 */
export async function runOne({ world, worldName, spec, specPath, config, seed, oracleResult }) {
  const outDir = await mkdtemp(join(tmpdir(), `maspo-bench-${worldName}-${config.name}-${seed}-`));
  const started = performance.now();
  let meter;
  const snapshots = [{ calls: 0, tokens: 0, prompts: initialPromptTexts(spec) }];
  try {
    const { report } = await runEmbedded({
      spec: { ...spec, seed },
      specDir: dirname(specPath),
      outDir,
      resume: false,
      ablations: { ...NO_ABLATIONS, ...config.ablations },
      env: process.env,
      progress: {
        ...SILENT_PROGRESS,
        round(event) {
          const { calls, tokens } = meter.spent();
          snapshots.push({ calls, tokens, prompts: { ...event.state.bestPrompts } });
        },
      },
      wrapLlm: (llm, phase) => {
        meter = meterCalls(llm, () => phase() === "optimize");
        return meter.llm;
      },
    });
    const wallSeconds = (performance.now() - started) / 1000;
    const search = meter.spent();
    const final = report.delta.heldOut.final;
    const anytime =
      config.name === "full" ? anytimeRows(world, oracleResult, await measureAnytime(spec, specPath, seed, snapshots)) : undefined;
    return {
      world: worldName,
      config: config.name,
      kind: "maspo",
      seed,
      baseline: report.delta.heldOut.baseline,
      final,
      ...gapOf(world, oracleResult, final, report.finalPrompts),
      calls: report.cost.calls,
      tokens: report.cost.tokens,
      cacheHits: report.cost.cacheHits,
      searchCalls: search.calls,
      searchTokens: search.tokens,
      wallSeconds,
      rounds: report.rounds.length,
      finalRound: report.finalRound,
      stopReason: report.stopReason,
      ...(anytime ? { anytime } : {}),
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** MASPO's best-so-far sets at the budget points, on the held-out split, through the same machinery a peer uses. */
async function measureAnytime(spec, specPath, seed, snapshots) {
  const m = await openMachinery({ spec: { ...spec, seed }, specDir: dirname(specPath), env: process.env });
  try {
    m.endSearch();
    return await anytimeCurve(snapshots, BUDGET_POINTS, m.heldOutScore);
  } finally {
    await m.close();
  }
}

/** One peer run at `budget` calls (full MASPO's search calls on this world and seed). */
export async function runPeerOne({ world, worldName, spec, specPath, config, seed, oracleResult, budget }) {
  const started = performance.now();
  const r = await runPeer({ peer: config.name, spec: { ...spec, seed }, specDir: dirname(specPath), env: process.env, budget });
  const wallSeconds = (performance.now() - started) / 1000;
  return {
    world: worldName,
    config: config.name,
    kind: "peer",
    seed,
    baseline: r.heldOut.baseline,
    final: r.heldOut.final,
    ...gapOf(world, oracleResult, r.heldOut.final, r.finalPrompts),
    // A peer pays only for its search: the held-out measurement is the bench's, not the peer's.
    calls: r.spent.calls,
    tokens: r.spent.tokens,
    cacheHits: r.spent.cacheHits,
    searchCalls: r.spent.calls,
    searchTokens: r.spent.tokens,
    budget,
    finalReachedAt: r.finalReachedAt,
    improvements: r.trajectory.length - 1,
    wallSeconds,
    stopReason: r.stopReason,
    anytime: anytimeRows(world, oracleResult, r.anytime),
  };
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

/** One benchmark run, named by plain data so a worker thread can take it: { worldName, config, seed, budget? }. */
export async function runTask(task) {
  const { world, oracleResult, specPath, spec } = await worldSetup(task.worldName);
  const config = CONFIGS.find((c) => c.name === task.config);
  if (!config) throw new Error(`unknown config ${task.config}`);
  const input = { world, worldName: task.worldName, spec, specPath, config, seed: task.seed, oracleResult };
  return config.kind === "peer" ? runPeerOne({ ...input, budget: task.budget }) : runOne(input);
}

/** The tasks' rows in task order: those the journal has already, the others run (and journalled as each ends). */
async function runOrReuse(tasks, jobs, journal, onRow) {
  const rows = tasks.map((t) => journal.done(t));
  const todo = tasks.flatMap((t, i) => (rows[i] === undefined ? [i] : []));
  const ran = await runTasks(
    todo.map((i) => tasks[i]),
    jobs,
    (row) => {
      onRow(row);
      // Appended in the order they finish; a row is a whole run, so a bench killed now loses only the runs in flight.
      void journal.append(row);
    },
  );
  todo.forEach((i, k) => (rows[i] = ran[k]));
  return rows;
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

const pct = (x) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);

/**
 * Each peer's budget: the calls full MASPO sent during search on the same world and seed — from
 * this run's full rows, or (when full MASPO is not among the configurations run) from the committed
 * quality.json, a fixed budget table; a world and seed found in neither cannot be budgeted.
 */
async function peerBudgets(fullRows, resultsDir) {
  const key = (world, seed) => `${world}\u0000${seed}`;
  const table = new Map();
  try {
    const committed = JSON.parse(await readFile(join(resultsDir, "quality.json"), "utf8"));
    for (const r of committed.rows ?? [])
      if (r.config === "full" && r.searchCalls !== undefined) table.set(key(r.world, r.seed), r.searchCalls);
  } catch {
    // No committed results yet: only this run's full MASPO rows can budget the peers.
  }
  for (const r of fullRows) table.set(key(r.world, r.seed), r.searchCalls);
  return (world, seed) => {
    const budget = table.get(key(world, seed));
    if (budget === undefined)
      throw new Error(
        `no budget for the peers on ${world} seed ${seed}: run full MASPO too (--configs full,...), or commit a quality.json that has it`,
      );
    return budget;
  };
}

/**
 * Runs the benchmark and writes `<resultsDir>/quality.json`, `quality.md` and `anytime.html`. Runs are
 * spread over `jobs` worker threads (default: 2, or 1 on a one-core machine); wall times are measured
 * under that load. MASPO's configurations run first, then the peers, each budgeted by full MASPO.
 */
export async function runQualityBench(options = {}) {
  // Every bundled world (a new one is benched once it is in packages/simlm/worlds/ with an
  // examples/<world>.yaml) but code-tests: its example spec optimizes on an MBPP-style file scored by
  // running tests, not on the world's generated held-out split that the oracle's floor and ceiling are
  // computed on.
  const worlds = options.worlds ?? bundledWorldNames().filter((w) => w !== "code-tests");
  const seeds = options.seeds ?? DEFAULT_SEEDS;
  const configs = options.configs ? CONFIGS.filter((c) => options.configs.includes(c.name)) : CONFIGS;
  const jobs = options.jobs ?? Math.min(2, availableParallelism());
  const resultsDir = options.resultsDir ?? RESULTS;
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const started = performance.now();
  const worldsInfo = {};
  const tasksOf = (kind) =>
    worlds.flatMap((worldName) =>
      configs.filter((c) => c.kind === kind).flatMap((config) => seeds.map((seed) => ({ worldName, config: config.name, seed }))),
    );
  for (const worldName of worlds) {
    const { oracleResult } = await worldSetup(worldName);
    worldsInfo[worldName] = { floor: oracleResult.floor, ceiling: oracleResult.ceiling };
  }
  const logRow = (row) =>
    log(
      `${row.world} ${row.config} seed ${row.seed}: held-out ${pct(row.baseline)} → ${pct(row.final)}, gap closed ${pct(row.gapClosed)} (expected ${pct(row.expectedGapClosed)}), ` +
        `${row.searchCalls} search calls${row.budget !== undefined ? ` of ${row.budget}` : ""}, ${row.wallSeconds.toFixed(1)} s`,
    );
  const identity = await codeIdentity(ROOT);
  const journal = await openJournal(options.journal ?? defaultJournalPath(identity), { resume: options.resume === true });
  log(
    `quality bench: code ${identity}; every finished run is kept in ${journal.path}` +
      (options.resume ? ` (${journal.reused} runs reused from it)` : " (--resume finishes a stopped bench from it)"),
  );
  const maspoRows = await runOrReuse(tasksOf("maspo"), jobs, journal, logRow);
  const peerTasks = tasksOf("peer");
  let peerRows = [];
  if (peerTasks.length > 0) {
    const budgetOf = await peerBudgets(
      maspoRows.filter((r) => r.config === "full"),
      resultsDir,
    );
    peerRows = await runOrReuse(
      peerTasks.map((t) => ({ ...t, budget: budgetOf(t.worldName, t.seed) })),
      jobs,
      journal,
      logRow,
    );
  }
  const rows = [...maspoRows, ...peerRows];
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
      budgetPoints: BUDGET_POINTS,
      command: options.command ?? "npm run bench",
      partial: partial || null,
    },
    worlds: worldsInfo,
    configs: configs.map(({ name, kind, flag, describe }) => ({
      name,
      kind,
      ...(flag !== undefined ? { flag } : {}),
      ...(describe ? { describe } : {}),
    })),
    summary: summarize(rows, worldsInfo, configs, BUDGET_POINTS),
    rows,
  };
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, "quality.json"), `${JSON.stringify(result, null, 2)}\n`);
  await writeReports(result, resultsDir);
  return result;
}

async function writeReports(result, resultsDir) {
  await writeFile(join(resultsDir, "quality.md"), renderMarkdown(result));
  await writeFile(join(resultsDir, "anytime.html"), renderAnytimeHtml(result));
}

/** Re-derives the summary and rewrites quality.md and anytime.html from the rows of `quality.json`, running nothing. */
export async function renderQualityResults(options = {}) {
  const resultsDir = options.resultsDir ?? RESULTS;
  const stored = JSON.parse(await readFile(join(resultsDir, "quality.json"), "utf8"));
  const configs = CONFIGS.filter((c) => stored.settings.configs.includes(c.name));
  const result = { ...stored, summary: summarize(stored.rows, stored.worlds, configs, stored.settings.budgetPoints ?? BUDGET_POINTS) };
  await writeFile(join(resultsDir, "quality.json"), `${JSON.stringify(result, null, 2)}\n`);
  await writeReports(result, resultsDir);
  return result;
}

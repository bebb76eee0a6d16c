/**
 * The Grafana dashboard against a real Prometheus: a live local cluster — nats-server, one pool worker
 * per role serving every run, and a sweep of two runs coordinated on that pool, every process serving
 * /metrics on a free port (`--metrics-port auto`, the URL in its log) — scraped every second by a real
 * `prometheus` (Debian's package, installed by the global set-up) with a temp config. Once both runs
 * are done, every PromQL expression of deploy/grafana/dashboards/maspo.json (template variables
 * standing for "all") returns data through Prometheus's HTTP API, each template variable has values,
 * and the two runs' series are told apart by their `run` label, on the coordinator and on the workers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "./helpers/nats-server.js";
import { PROMETHEUS_PATHS } from "./setup/system-tools.js";
import {
  type CountingSimServer,
  type MaspoProcess,
  ROOT,
  httpSpec,
  outputs,
  removeTempDirs,
  spawnMaspo,
  startCountingSim,
  startWorkers,
  stopAll,
  tempDir,
} from "./fixtures/maspo-processes.js";

const KEY_ENV = { MASPO_TEST_KEY: "test-key-not-secret" };
const SWEEP = "dash-sweep";
const DASHBOARD = join(ROOT, "deploy/grafana/dashboards/maspo.json");
/** What Grafana's variables stand for here: every run and sweep; a rate window of a few 1 s scrapes. */
const SUBSTITUTIONS: Record<string, string> = { $__rate_interval: "10s", $run: ".*", $sweep: ".*" };

let server: NatsServer;
let sim: CountingSimServer;
let procs: MaspoProcess[] = [];
let sweep: MaspoProcess;
let prometheus: ChildProcess | undefined;
let prometheusLog = "";
let api = "";

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(expr: string): Promise<PromResult[]> {
  const res = await fetch(`${api}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: PromResult[] } };
  if (body.status !== "success") throw new Error(`Prometheus refused ${expr}: ${body.error ?? res.status}`);
  return body.data?.result ?? [];
}

async function until(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end)
      throw new Error(`${what} not within ${ms / 1000} s; outputs:\n${outputs(procs)}\n--- prometheus ---\n${prometheusLog}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function metricsTarget(proc: MaspoProcess): Promise<string> {
  const line = await proc.waitForLine(/metrics on http:\/\//);
  const url = /http:\/\/([^\s"/]+)\/metrics/.exec(line)?.[1];
  if (!url) throw new Error(`no metrics address in ${line}`);
  return url;
}

/** Every PromQL expression of the dashboard's panels (rows' nested panels included). */
function dashboardExpressions(dashboard: unknown): { panel: string; expr: string }[] {
  const found: { panel: string; expr: string }[] = [];
  const walk = (panels: unknown[]): void => {
    for (const p of panels as { title?: string; targets?: { expr?: string }[]; panels?: unknown[] }[]) {
      for (const t of p.targets ?? []) if (t.expr) found.push({ panel: p.title ?? "?", expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk((dashboard as { panels: unknown[] }).panels);
  return found;
}

const substitute = (expr: string): string => Object.entries(SUBSTITUTIONS).reduce((e, [name, value]) => e.replaceAll(name, value), expr);

beforeAll(async () => {
  const binary = PROMETHEUS_PATHS.find((p) => existsSync(p));
  if (!binary) throw new Error(`prometheus not found in ${PROMETHEUS_PATHS.join(", ")}: apt-get install -y prometheus`);
  [server, sim] = await Promise.all([startNatsServer(), startCountingSim({ latencyMs: 5 })]);
  const spec = await httpSpec(sim.url, "MASPO_TEST_KEY");
  const dir = await tempDir("maspo-dash-");
  const sweepFile = join(dir, "dash.sweep.yaml");
  await writeFile(sweepFile, `name: ${SWEEP}\nbase: ${JSON.stringify(spec)}\nseeds: [1, 2]\nmaxParallel: 2\n`);

  procs = startWorkers(server.url, undefined, { executor: 1, evaluator: 1, mutator: 1 }, [], KEY_ENV);
  await Promise.all(procs.map((p) => p.waitForLine(/"event":"ready"/)));
  sweep = spawnMaspo("sweep", [
    "sweep",
    sweepFile,
    "--nats",
    server.url,
    "--out",
    join(dir, "out"),
    "--metrics-port",
    "auto",
    "--metrics-linger",
    "60s",
  ]);
  procs.push(sweep);
  const targets = await Promise.all(procs.map(metricsTarget));

  const port = await freePort();
  api = `http://127.0.0.1:${port}`;
  const config = join(dir, "prometheus.yml");
  await writeFile(
    config,
    [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      "  - job_name: maspo",
      "    static_configs:",
      `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
      "",
    ].join("\n"),
  );
  prometheus = spawn(
    binary,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, "tsdb")}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const keep = (chunk: Buffer): void => {
    prometheusLog = (prometheusLog + chunk.toString()).slice(-20_000);
  };
  prometheus.stdout?.on("data", keep);
  prometheus.stderr?.on("data", keep);
  await until("Prometheus ready", async () => (await fetch(`${api}/-/ready`)).ok, 20_000);

  // Both runs over, as Prometheus saw it (the sweep's /metrics lingers), and a few scrapes after.
  await until("both runs done", async () => (await query('maspo_run_phase{phase="done"} == 1')).length === 2, 45_000);
  await until("every target scraped since", async () => (await query('up{job="maspo"} == 1')).length === targets.length, 5_000);
  await new Promise((r) => setTimeout(r, 3_000));
}, 90_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus?.once("exit", r));
    prometheus.kill("SIGTERM");
    await exited;
  }
  await stopAll(procs, 5_000);
  await sim?.close();
  await server?.dispose();
  await removeTempDirs();
});

describe("the Grafana dashboard on a real Prometheus scraping a live cluster", () => {
  it("gets data for every PromQL expression of every panel", async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, "utf8")) as unknown;
    const expressions = dashboardExpressions(dashboard);
    expect(expressions.length).toBeGreaterThan(20);
    const empty: string[] = [];
    for (const { panel, expr } of expressions) {
      if ((await query(substitute(expr))).length === 0) empty.push(`${panel}: ${expr}`);
    }
    expect(empty, `expressions without data:\n${empty.join("\n")}`).toEqual([]);
  });

  it("has values for each template variable (run, sweep)", async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, "utf8")) as { templating: { list: { name: string; definition: string }[] } };
    const names = dashboard.templating.list.map((v) => v.name);
    expect(names).toEqual(expect.arrayContaining(["run", "sweep"]));
    for (const variable of dashboard.templating.list) {
      const m = /^label_values\((.+), (\w+)\)$/.exec(variable.definition);
      if (!m) throw new Error(`template variable ${variable.name}: not a label_values() query: ${variable.definition}`);
      const [, selector, label] = m as unknown as [string, string, string];
      const res = await fetch(`${api}/api/v1/label/${label}/values?${new URLSearchParams({ "match[]": substitute(selector) })}`);
      const values = ((await res.json()) as { data: string[] }).data;
      expect(values.length, variable.name).toBeGreaterThan(0);
    }
  });

  it("tells the two runs' series apart by their run label, on the coordinator and on every worker, each with its sweep", async () => {
    const runs = (await query("max by (run) (maspo_run_phase)")).map((r) => r.metric["run"]).sort();
    expect(runs).toHaveLength(2);
    expect(runs.every((r) => r?.startsWith(`${SWEEP}-`))).toBe(true);
    const perRun = [
      // The coordinator's, counted from task results:
      'sum by (run) (maspo_run_llm_calls_total{llm_role="serving"}) > 0',
      "sum by (run) (maspo_tasks_resolved_total) > 0",
      "max by (run) (maspo_heldout_metric)",
      // Each worker's, one series set per run it served:
      'sum by (run) (maspo_tasks_completed_total{role="executor"}) > 0',
      'sum by (run) (maspo_tasks_completed_total{role="evaluator"}) > 0',
      'sum by (run) (maspo_tasks_completed_total{role="mutator"}) > 0',
      'sum by (run) (maspo_llm_request_duration_seconds_count{llm_role="serving"}) > 0',
      'sum by (run) (maspo_llm_calls_total{llm_role="evaluator"}) > 0',
    ];
    for (const expr of perRun) {
      const seen = (await query(expr)).map((r) => r.metric["run"]).sort();
      expect(seen, expr).toEqual(runs);
    }
    const sweeps = (await query("count by (sweep) (maspo_tasks_completed_total)")).map((r) => r.metric["sweep"]);
    expect(sweeps).toEqual([SWEEP]);
    const progress = await query(`maspo_sweep_runs{sweep="${SWEEP}",status="done"}`);
    expect(progress.map((r) => r.value[1])).toEqual(["2"]);
  });
});

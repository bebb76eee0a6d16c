/**
 * The cluster benchmark: what NATS JetStream costs and what scaling evaluators buys.
 *
 * 1. Transport: no-op tasks through the WorkQueue, in process vs JetStream (one processor, 64 at once).
 * 2. A whole run with zero-latency simlm (the small math-chain spec), embedded vs cluster
 *    (1 executor, 1 evaluator, 1 mutator as separate processes): wall time and tasks/s.
 * 3. Latency-bound: the judge endpoint is a simlm HTTP server answering after a fixed delay, and the
 *    run is repeated with 1, 2, 4 and 8 evaluator replicas (each one task at a time): evaluator tasks/s,
 *    speedup, scaling efficiency, and the fraction of wall time the judge endpoint was busy.
 *
 * Every configuration gets its own nats-server (so its LLM cache starts empty). Writes
 * bench/results/cluster.json and cluster.md. Timings live here, never in tests.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir, cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { connectNats, createInProcessWorkQueue, openJetStreamWorkQueue } from "@maspo/cluster";
import { loadSpecFile } from "@maspo/core";
import { NO_ABLATIONS } from "@maspo/core";
import { createWorldService, listenSimServer, loadWorld } from "@maspo/simlm";
import { runCluster, runEmbedded } from "@maspo/run";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "packages/cli/bin/maspo.js");
const SMALL_SPEC = join(ROOT, "test/fixtures/math-chain-small.yaml");
const NATS = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];
const quiet = { step: () => undefined, round: () => undefined, message: () => undefined, stop: () => undefined };

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startNats() {
  const { existsSync } = await import("node:fs");
  const binary = NATS.find((p) => existsSync(p));
  if (!binary) throw new Error("nats-server not found: apt-get install nats-server");
  const dir = await mkdtemp(join(tmpdir(), "maspo-bench-nats-"));
  const port = await freePort();
  const proc = spawn(binary, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], { stdio: "ignore" });
  const url = `nats://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const s = await connectNats({ servers: url });
      await s.nc.close();
      break;
    } catch (err) {
      if (i > 100) throw err;
      await sleep(50);
    }
  }
  return {
    url,
    async stop() {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A simlm server that records how long at least one request was in flight. */
async function startTimedSim(latencyMs) {
  const inner = createWorldService({ world: loadWorld("math-chain"), realism: { latency: { fixedMs: latencyMs, perOutputTokenMs: 0 } } });
  let inFlight = 0;
  let busySince = 0;
  let busyMs = 0;
  let requests = 0;
  const service = {
    backend: inner.backend,
    realism: inner.realism,
    get inFlight() {
      return inner.inFlight;
    },
    async handle(request, sink, signal) {
      if (!request.path.includes("chat/completions")) return inner.handle(request, sink, signal);
      requests++;
      if (inFlight++ === 0) busySince = performance.now();
      try {
        return await inner.handle(request, sink, signal);
      } finally {
        if (--inFlight === 0) busyMs += performance.now() - busySince;
      }
    },
    close: () => inner.close(),
  };
  const server = await listenSimServer(service);
  return {
    url: server.url,
    close: () => server.close(),
    reset() {
      busyMs = 0;
      requests = 0;
    },
    stats: () => ({ busyMs: busyMs + (inFlight > 0 ? performance.now() - busySince : 0), requests }),
  };
}

function spawnWorker(role, natsUrl, runId, concurrency, env) {
  const proc = spawn(process.execPath, [BIN, "worker", role, "--nats", natsUrl, "--run", runId, "--concurrency", String(concurrency)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  let onData = () => undefined;
  proc.stderr.on("data", (c) => {
    err = (err + c.toString()).slice(-4000);
    onData();
  });
  const exited = new Promise((r) => proc.once("exit", r));
  // Started (modules loaded, connected) and waiting for its run: boot time stays out of the timings.
  const waiting = new Promise((resolve, reject) => {
    onData = () => err.includes("waiting-for-run") && resolve();
    exited.then(() => reject(new Error(`${role} worker exited:\n${err}`)));
  });
  return {
    waiting,
    async stop() {
      proc.kill("SIGTERM");
      await exited;
    },
    output: () => err,
  };
}

/** 1. No-op tasks through the transport. */
async function transportBench(n) {
  const rows = [];
  const measure = async (name, queue) => {
    await queue.process("executor", async () => ({ ok: true }), { concurrency: 64 });
    const started = performance.now();
    const done = (async () => {
      let seen = 0;
      for await (const delivered of queue.results()) if (delivered && ++seen === n) return;
    })();
    for (let i = 0; i < n; i += 256) {
      await Promise.all(
        Array.from({ length: Math.min(256, n - i) }, (_, j) =>
          queue.submit({ v: 1, runId: queue.runId, taskId: `t${i + j}`, role: "executor", kind: "noop", payload: { i: i + j } }),
        ),
      );
    }
    await done;
    const seconds = (performance.now() - started) / 1000;
    await queue.close();
    rows.push({ mode: name, tasks: n, seconds, tasksPerSecond: n / seconds });
  };
  await measure("embedded (in-process queue)", createInProcessWorkQueue({ runId: "bench-noop" }));
  const nats = await startNats();
  const { nc } = await connectNats({ servers: nats.url });
  await measure("cluster (JetStream)", await openJetStreamWorkQueue({ nc, runId: "bench-noop" }));
  await nc.drain();
  await nats.stop();
  return rows;
}

/** A spec file from the small math-chain spec with `edit` applied. */
async function specVariant(dir, name, edit) {
  const raw = parse(await readFile(SMALL_SPEC, "utf8"));
  edit(raw);
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, stringify(raw));
  return file;
}

/** 2. A whole run, zero-latency simlm: embedded vs cluster with one worker per role. */
async function wholeRunBench(dir) {
  const spec = await loadSpecFile(SMALL_SPEC, { env: {} });
  const embeddedStarted = performance.now();
  await runEmbedded({
    spec,
    specDir: dirname(SMALL_SPEC),
    outDir: join(dir, "embedded"),
    resume: false,
    ablations: NO_ABLATIONS,
    env: {},
    progress: quiet,
  });
  const embeddedSeconds = (performance.now() - embeddedStarted) / 1000;

  const nats = await startNats();
  const runId = "bench-whole";
  const workers = ["executor", "evaluator", "mutator"].map((role) => spawnWorker(role, nats.url, runId, 4, {}));
  await Promise.all(workers.map((w) => w.waiting));
  const started = performance.now();
  const { tasks: counts } = await runCluster({
    spec,
    specDir: dirname(SMALL_SPEC),
    outDir: join(dir, "cluster"),
    runId,
    resume: false,
    ablations: NO_ABLATIONS,
    nats: { servers: nats.url },
    progress: quiet,
    log: () => undefined,
  });
  const clusterSeconds = (performance.now() - started) / 1000;
  await Promise.all(workers.map((w) => w.stop()));
  await nats.stop();
  const tasks = counts.executor + counts.evaluator + counts.mutator;
  return [
    { mode: "embedded (direct calls)", tasks, seconds: embeddedSeconds, tasksPerSecond: tasks / embeddedSeconds },
    {
      mode: "cluster (1 executor, 1 evaluator, 1 mutator)",
      tasks,
      seconds: clusterSeconds,
      tasksPerSecond: tasks / clusterSeconds,
      byRole: counts,
    },
  ];
}

/** 3. Judge latency-bound runs with 1, 2, 4, 8 evaluator replicas. */
async function scalingBench(dir, latencyMs, replicas) {
  const judge = await startTimedSim(latencyMs);
  // A wider search than the small spec, so a step has enough candidates to keep 8 evaluators busy.
  const specFile = await specVariant(dir, "scaling", (raw) => {
    // Two judge calls at a time per process: an evaluator replica brings its own share of the endpoint.
    raw.models["sim-judge"] = { ...raw.models["sim-judge"], baseURL: judge.url, apiKeyEnv: "BENCH_KEY", concurrency: 2 };
    // The optimizer gets its own zero-latency endpoint, so the slow endpoint is the evaluators' alone.
    raw.models["sim-opt"] = { ...raw.models["sim-judge"], baseURL: "simlm://math-chain", apiKeyEnv: undefined, concurrency: 8 };
    delete raw.models["sim-opt"].apiKeyEnv;
    raw.optimizer = { ...raw.optimizer, model: "sim-opt" };
    raw.search = { ...raw.search, beamSize: 4, childrenPerParent: 2, rounds: 1, minibatchSize: 6 };
  });
  const spec = await loadSpecFile(specFile, { env: { BENCH_KEY: "unused" } });
  const rows = [];
  for (const n of replicas) {
    const nats = await startNats();
    const runId = `bench-scale-${n}`;
    const env = { BENCH_KEY: "unused" };
    const workers = [
      spawnWorker("executor", nats.url, runId, 8, env),
      spawnWorker("mutator", nats.url, runId, 8, env),
      ...Array.from({ length: n }, () => spawnWorker("evaluator", nats.url, runId, 1, env)),
    ];
    await Promise.all(workers.map((w) => w.waiting));
    judge.reset();
    const started = performance.now();
    const { tasks: counts } = await runCluster({
      spec,
      specDir: dir,
      outDir: join(dir, `scale-${n}`),
      runId,
      resume: false,
      ablations: NO_ABLATIONS,
      nats: { servers: nats.url },
      progress: quiet,
      log: () => undefined,
    });
    const seconds = (performance.now() - started) / 1000;
    const stats = judge.stats();
    await Promise.all(workers.map((w) => w.stop()));
    await nats.stop();
    rows.push({
      evaluators: n,
      seconds,
      evaluatorTasks: counts.evaluator,
      evaluatorTasksPerSecond: counts.evaluator / seconds,
      judgeRequests: stats.requests,
      judgeBusyFraction: stats.busyMs / 1000 / seconds,
    });
    console.log(`cluster bench: ${n} evaluator(s): ${seconds.toFixed(1)} s, ${counts.evaluator} evaluator tasks`);
  }
  await judge.close();
  const base = rows[0];
  for (const r of rows) {
    r.speedup = base.seconds / r.seconds;
    r.efficiency = r.speedup / r.evaluators;
  }
  return rows;
}

function markdown(result) {
  const f = (x, d = 1) => x.toFixed(d);
  const lines = [
    "# Cluster benchmark",
    "",
    `Run ${result.date.slice(0, 10)} on ${result.machine.cpus} CPU(s), node ${result.machine.node}, nats-server on the same machine. Command: \`${result.command}\`.`,
    "",
    "## 1. Transport: no-op tasks through the WorkQueue",
    "",
    "| mode | tasks | seconds | tasks/s |",
    "| --- | ---: | ---: | ---: |",
    ...result.transport.map((r) => `| ${r.mode} | ${r.tasks} | ${f(r.seconds, 2)} | ${f(r.tasksPerSecond, 0)} |`),
    "",
    "## 2. A whole run with zero-latency simlm (test/fixtures/math-chain-small.yaml)",
    "",
    "Tasks: the distinct executor, evaluator and mutator tasks of the run (the same work in both modes).",
    "",
    "| mode | tasks | seconds | tasks/s |",
    "| --- | ---: | ---: | ---: |",
    ...result.wholeRun.map((r) => `| ${r.mode} | ${r.tasks} | ${f(r.seconds, 2)} | ${f(r.tasksPerSecond, 0)} |`),
    "",
    `## 3. Evaluator scaling with a latency-bound judge (${result.scaling.judgeLatencyMs} ms per judge call)`,
    "",
    "Each evaluator runs one task at a time with at most 2 judge calls in flight (the endpoint's per-process concurrency); the search is",
    "widened (beam 4, 2 children per parent, minibatch 6) so a step has up to 8 candidates to evaluate at once. The optimizer has",
    "its own zero-latency endpoint, so only evaluation is latency-bound; agents and optimizer are simlm in process.",
    "Speedup is wall time with 1 evaluator over wall time with n; efficiency is speedup / n. Busy: the fraction of wall time at least one judge request was in flight.",
    "",
    "| evaluators | seconds | evaluator tasks | evaluator tasks/s | speedup | efficiency | judge requests | judge endpoint busy |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...result.scaling.rows.map(
      (r) =>
        `| ${r.evaluators} | ${f(r.seconds, 2)} | ${r.evaluatorTasks} | ${f(r.evaluatorTasksPerSecond, 2)} | ${f(r.speedup, 2)} | ${f(r.efficiency * 100, 0)}% | ${r.judgeRequests} | ${f(r.judgeBusyFraction * 100, 0)}% |`,
    ),
    "",
    "Reading it: the run alternates phases (execute, mutate, evaluate), and only the evaluate phases scale with evaluators, so",
    "whole-run speedup is bounded by that share (Amdahl); the number of candidates per step bounds the useful replicas.",
    "All processes share this machine's CPUs, so at high replica counts process overhead competes with the work itself.",
    "Judge requests rise with replicas: an identical request in flight in two processes at once is sent by both (the shared KV",
    "cache answers only finished requests; within one process the LLM client sends it once).",
    "",
  ];
  return lines.join("\n");
}

export async function runClusterBench(options = {}) {
  const dir = await mkdtemp(join(tmpdir(), "maspo-bench-cluster-"));
  const latencyMs = options.judgeLatencyMs ?? 100;
  const replicas = options.replicas ?? [1, 2, 4, 8];
  try {
    const transport = await transportBench(options.noopTasks ?? 3000);
    console.log("cluster bench: transport done");
    const wholeRun = await wholeRunBench(dir);
    console.log("cluster bench: whole run done");
    const scaling = { judgeLatencyMs: latencyMs, rows: await scalingBench(dir, latencyMs, replicas) };
    const result = {
      date: new Date().toISOString(),
      command: options.command ?? "node bench/run.js --cluster",
      machine: { cpus: cpus().length, node: process.version },
      transport,
      wholeRun,
      scaling,
    };
    const out = join(ROOT, "bench/results");
    await mkdir(out, { recursive: true });
    await writeFile(join(out, "cluster.json"), `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(join(out, "cluster.md"), markdown(result));
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

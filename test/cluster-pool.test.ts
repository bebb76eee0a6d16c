/**
 * One shared worker pool for many runs: workers started without --run serve every run on the
 * cluster. Two runs (two seeds of the small math-chain spec) coordinated at once on one pool each
 * end with exactly the final prompts of their solo embedded run, although a pool evaluator is killed
 * with SIGKILL mid-run and another one joins after the runs began (and takes work of both); once a
 * run is done its streams and record are gone, and the pool has stopped serving it but runs on.
 */
import { connectNats, runBucketNames, runStreamNames, RunRegistry } from "@maspo/cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "./helpers/nats-server.js";
import {
  type CountingSimServer,
  type MaspoProcess,
  type ReportJson,
  SMALL_SPEC,
  embeddedReport,
  exitedWithin,
  httpSpec,
  metricSum,
  outputs,
  readReport,
  removeTempDirs,
  scrapeMetrics,
  spawnMaspo,
  startCountingSim,
  startWorkers,
  stopAll,
  tempDir,
  waitForStep,
} from "./fixtures/maspo-processes.js";

const KEY_ENV = { MASPO_TEST_KEY: "test-key-not-secret" };
/** The spec's own seed, and a second seed given on the command line. */
const RUNS = [
  { runId: "pool-seed-1", args: [] as string[] },
  { runId: "pool-seed-2", args: ["--seed", "2"] },
] as const;

let server: NatsServer;
let sim: CountingSimServer;
let references: ReportJson[] = [];
let pool: MaspoProcess[] = [];
let late: MaspoProcess;
let victim: MaspoProcess;
let killedInFlight = 0;
const coordinators: MaspoProcess[] = [];
let exits: { code: number | null }[] = [];
const outs: string[] = [];
let survivorMetrics: string[] = [];

beforeAll(async () => {
  [server, sim] = await Promise.all([startNatsServer(), startCountingSim({ latencyMs: 10 })]);
  const embedded = Promise.all(RUNS.map((r) => embeddedReport(SMALL_SPEC, {}, [...r.args])));
  // A short ack wait, so the killed worker's unacked tasks come back in seconds.
  const spec = await httpSpec(sim.url, "MASPO_TEST_KEY", "cluster:\n  ackWaitMs: 1500\n");
  pool = startWorkers(server.url, undefined, { executor: 1, evaluator: 2, mutator: 1 }, [], KEY_ENV);
  await Promise.all(pool.map((p) => p.waitForLine(/"event":"ready"/)));
  for (const run of RUNS) {
    const out = await tempDir();
    outs.push(out);
    coordinators.push(
      spawnMaspo(
        `coordinator-${run.runId}`,
        ["run", spec, "--nats", server.url, "--run-id", run.runId, "--out", out, "--json-logs", ...run.args],
        KEY_ENV,
      ),
    );
  }
  const all = (): MaspoProcess[] => [...coordinators, ...pool, ...(late ? [late] : [])];

  // Both runs are under way: a pool worker joins them.
  await Promise.all(coordinators.map((c) => waitForStep(c, 1)));
  late = spawnMaspo(
    "evaluator-late",
    ["worker", "evaluator", "--nats", server.url, "--concurrency", "4", "--metrics-port", "auto"],
    KEY_ENV,
  );
  pool.push(late);

  // A pool evaluator is killed with SIGKILL while it works on a task.
  victim = pool.find((p) => p.name === "evaluator-1") as MaspoProcess;
  while (killedInFlight === 0 && coordinators.some((c) => c.child.exitCode === null)) {
    killedInFlight = metricSum(await scrapeMetrics(victim), "maspo_tasks_in_flight", { role: "evaluator" });
    if (killedInFlight > 0) victim.child.kill("SIGKILL");
    else await new Promise((r) => setTimeout(r, 20));
  }
  exits = await Promise.all(coordinators.map((c) => exitedWithin(c, 100_000, all())));
  references = await embedded;
  survivorMetrics = await Promise.all(pool.filter((p) => p !== victim).map(scrapeMetrics));
}, 150_000);

afterAll(async () => {
  await stopAll([...coordinators, ...pool]);
  await sim?.close();
  await server?.dispose();
  await removeTempDirs();
});

describe("a pool of workers started without --run", () => {
  it("gives each of two runs coordinated at once on it exactly the final prompts of its solo embedded run", async () => {
    for (const [i, run] of RUNS.entries()) {
      expect(exits[i]?.code, outputs([...coordinators, ...pool])).toBe(0);
      const report = await readReport(outs[i] as string);
      expect(report.seed, run.runId).toBe(references[i]?.seed);
      expect(report.finalPrompts, run.runId).toEqual(references[i]?.finalPrompts);
      expect(report.delta.heldOut, run.runId).toEqual(references[i]?.delta.heldOut);
    }
    expect(references[0]?.seed).not.toBe(references[1]?.seed);
  });

  it("loses nothing when a pool worker is killed with SIGKILL mid-task: its tasks are redone by the others", async () => {
    expect(killedInFlight, "the victim was never seen working").toBeGreaterThan(0);
    expect((await victim.exited).signal).toBe("SIGKILL");
    const redelivered = survivorMetrics.reduce((sum, m) => sum + metricSum(m, "maspo_tasks_redelivered_total", { role: "evaluator" }), 0);
    expect(redelivered).toBeGreaterThan(0);
  });

  it("picks up runs it was not started for: a worker started after the runs began takes tasks of both", async () => {
    for (const run of RUNS) {
      // The worker logs a run's tally once it has drained it, which can come a moment after the run ends.
      const stopped = late.waitForLine((l) => l.includes('"event":"stopped-serving"') && l.includes(`"run":"${run.runId}"`));
      const line = await Promise.race([stopped, new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000))]);
      expect(line, `${run.runId}:\n${late.output()}`).toBeDefined();
      expect(Number(/"tasksCompleted":(\d+)/.exec(line ?? "")?.[1])).toBeGreaterThan(0);
    }
  });

  it("stops serving a run once it is done, and the run's streams and record are removed, while the pool runs on", async () => {
    for (const worker of pool.filter((p) => p !== victim)) {
      expect(worker.child.exitCode, worker.output()).toBeNull();
      for (const run of RUNS) {
        const stopped = (): boolean =>
          worker
            .output()
            .split("\n")
            .some((l) => l.includes('"event":"stopped-serving"') && l.includes(`"run":"${run.runId}"`) && l.includes('"reason":"done"'));
        await expect
          .poll(stopped, { timeout: 10_000, message: `${worker.name} still serves ${run.runId}:\n${worker.output()}` })
          .toBe(true);
      }
    }
    const { nc, jsm } = await connectNats({ servers: server.url });
    try {
      const registry = await RunRegistry.open(nc);
      for (const run of RUNS) {
        const gone = [...Object.values(runStreamNames(run.runId)), `KV_${runBucketNames(run.runId).checkpoints}`];
        for (const stream of gone) await expect(jsm.streams.info(stream), stream).rejects.toThrow(/stream not found/);
        expect((await registry.get(run.runId))?.entry.status).toBe("done");
      }
    } finally {
      await nc.close();
    }
  });

  it("refuses --resume of a done run with a clear error instead of waiting", async () => {
    const resume = spawnMaspo("resume-done", [
      "run",
      SMALL_SPEC,
      "--nats",
      server.url,
      "--resume",
      RUNS[0].runId,
      "--out",
      await tempDir(),
    ]);
    const { code } = await exitedWithin(resume, 30_000, [resume]);
    expect(code).toBe(1);
    expect(resume.output()).toContain(`run "${RUNS[0].runId}" is done on this NATS`);
  });
});

/**
 * One run path: the embedded mode is the cluster's task handler over an in-process queue, so an LLM
 * outage has the same outcome in both modes. A passing outage (calls failing, then answering) is
 * weather: both modes retry the affected tasks and end with the fault-free run's final prompts. An
 * outage from the first call is found by the preflight: both modes refuse to start (exit 2) with the
 * same error. (An outage that starts mid-run: test/preflight.test.ts.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "./helpers/nats-server.js";
import {
  type CountingSimServer,
  type MaspoProcess,
  type ReportJson,
  SMALL_SPEC,
  embeddedReport,
  exitedWithin,
  httpSpec,
  outputs,
  readReport,
  removeTempDirs,
  spawnMaspo,
  startCountingSim,
  startWorkers,
  stopAll,
  tempDir,
} from "./fixtures/maspo-processes.js";

const KEY_ENV = { MASPO_TEST_KEY: "test-key-not-secret" };
/** No retries inside the LLM client, so every injected fault reaches the task handler; quick task retries. */
const OUTAGE_SETTINGS = "cluster:\n  backoffMs: [10]\n  maxDeliver: 8\n";
let reference: ReportJson;
const sims: CountingSimServer[] = [];
const servers: NatsServer[] = [];
let procs: MaspoProcess[] = [];

beforeAll(async () => {
  reference = await embeddedReport(SMALL_SPEC);
}, 60_000);

afterEach(async () => {
  await stopAll(procs);
  procs = [];
  await Promise.all(servers.splice(0).map((s) => s.dispose()));
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

afterAll(removeTempDirs);

/** A simlm server of its own (fault counters start at zero), and the small spec pointed at it. */
async function outageSpec(
  faults: { rate500: number; maxPerRequest: number },
  cluster: string,
): Promise<{ spec: string; sim: CountingSimServer }> {
  const sim = await startCountingSim({ faults: { ...faults, seed: 11 } });
  sims.push(sim);
  return { spec: await httpSpec(sim.url, "MASPO_TEST_KEY", cluster, { maxRetries: 0 }), sim };
}

async function runEmbeddedProcess(spec: string): Promise<{ code: number | null; out: string; proc: MaspoProcess }> {
  const out = await tempDir();
  const proc = spawnMaspo("embedded", ["run", spec, "--out", out, "--quiet"], KEY_ENV);
  procs.push(proc);
  const { code } = await exitedWithin(proc, 100_000, [proc]);
  return { code, out, proc };
}

async function runClusterProcesses(spec: string, runId: string): Promise<{ code: number | null; out: string; proc: MaspoProcess }> {
  const server = await startNatsServer();
  servers.push(server);
  procs.push(...startWorkers(server.url, runId, { executor: 2, evaluator: 2, mutator: 1 }, [], KEY_ENV));
  const out = await tempDir();
  const proc = spawnMaspo("coordinator", ["run", spec, "--nats", server.url, "--run-id", runId, "--out", out, "--quiet"], KEY_ENV);
  procs.push(proc);
  const { code } = await exitedWithin(proc, 100_000, procs);
  return { code, out, proc };
}

describe("embedded and cluster runs are one path", () => {
  it("ride out a passing LLM outage the same way, both ending with the fault-free run's final prompts", async () => {
    // A third of all calls fail once (HTTP 500), then answer.
    const faults = { rate500: 0.33, maxPerRequest: 1 };
    const embedded = await outageSpec(faults, OUTAGE_SETTINGS);
    const e = await runEmbeddedProcess(embedded.spec);
    expect(e.code, e.proc.output()).toBe(0);
    const cluster = await outageSpec(faults, OUTAGE_SETTINGS);
    const c = await runClusterProcesses(cluster.spec, "outage-passing");
    expect(c.code, outputs(procs)).toBe(0);

    const [er, cr] = [await readReport(e.out), await readReport(c.out)];
    expect(er.finalPrompts).toEqual(reference.finalPrompts);
    expect(cr.finalPrompts).toEqual(reference.finalPrompts);
    expect(er.delta.heldOut).toEqual(reference.delta.heldOut);
    expect(cr.delta.heldOut).toEqual(reference.delta.heldOut);
    // The cost is what the servers answered (the spend ledger counts each attempt where it is made):
    // every attempt they got is a paid call or a failed attempt, a failed delivery's paid calls included
    // (its retry then finds them in the cache, so calls + cache hits grow with the deliveries that failed,
    // which depends on timing).
    expect(er.cost.calls + er.cost.failedAttempts).toBe(embedded.sim.total());
    expect(cr.cost.calls + cr.cost.failedAttempts).toBe(cluster.sim.total());
    // The outage was real: both servers answered more requests than the run paid for.
    expect(embedded.sim.total()).toBeGreaterThan(er.cost.calls);
    expect(cluster.sim.total()).toBeGreaterThan(cr.cost.calls);
  }, 240_000);

  it("report the retries of a run with 10% injected faults (429 with Retry-After, 500, malformed) and end with the fault-free final prompts", async () => {
    const faults = { rate429: 0.04, rate500: 0.03, rateMalformed: 0.03, seed: 5, maxPerRequest: 2 };
    const reports: ReportJson[] = [];
    for (const mode of ["embedded", "cluster"] as const) {
      const sim = await startCountingSim({ faults, retryAfterMs: 20 });
      sims.push(sim);
      const spec = await httpSpec(sim.url, "MASPO_TEST_KEY");
      const run = mode === "embedded" ? await runEmbeddedProcess(spec) : await runClusterProcesses(spec, "faults-ten-percent");
      expect(run.code, outputs(procs)).toBe(0);
      reports.push(await readReport(run.out));
    }
    for (const r of reports) {
      expect(r.finalPrompts).toEqual(reference.finalPrompts);
      expect(r.cost.retries).toBeGreaterThan(0);
      expect(r.cost.failedAttempts).toBeGreaterThanOrEqual(r.cost.retries);
    }
  }, 240_000);

  it("refuse to start on an LLM outage that lasts from the first call, with exit status 2 and the same error, in both modes", async () => {
    const faults = { rate500: 1, maxPerRequest: 1_000_000 };
    const settings = "cluster:\n  backoffMs: [10]\n  maxDeliver: 2\n";
    const e = await runEmbeddedProcess((await outageSpec(faults, settings)).spec);
    const c = await runClusterProcesses((await outageSpec(faults, settings)).spec, "outage-lasting");
    expect(e.code, e.proc.output()).toBe(2);
    expect(c.code, outputs(procs)).toBe(2);
    const preflightError = (output: string) =>
      output
        .split("\n")
        .filter((l) => /preflight|endpoint '/.test(l))
        .join("\n")
        .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>");
    expect(preflightError(e.proc.output())).toMatch(
      /endpoint 'sim' \(model sim-agent at http:\/\/127\.0\.0\.1:<port>\/v1\): unavailable: .*HTTP 500/,
    );
    expect(preflightError(c.proc.output())).toBe(preflightError(e.proc.output()));
  }, 240_000);
});

/**
 * Cluster mode's security: a NATS server with user/password refuses clients without credentials,
 * and a run whose workers hold an API key (and every process the NATS password) never lets either
 * secret onto the bus, into a log line, a metric, the checkpoint or the report.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { readRunRecord } from "@maspo/run";
import { connectNats, encode } from "@maspo/cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "./helpers/nats-server.js";
import {
  type CountingSimServer,
  type MaspoProcess,
  SMALL_SPEC,
  exitedWithin,
  httpSpec,
  outputs,
  removeTempDirs,
  scrapeMetrics,
  spawnMaspo,
  startCountingSim,
  startWorkers,
  stopAll,
  tempDir,
  waitForStep,
} from "./fixtures/maspo-processes.js";

// Distinctive values, so any copy of them anywhere is found.
const API_KEY = "sk-maspo-test-7f3a9c1e5b2d4k8q";
const NATS_PASSWORD = "nats-pw-4c8e2a6f0d1b3x9z";
const SECRETS = [API_KEY, NATS_PASSWORD];
const ENV = { MASPO_TEST_API_KEY: API_KEY, NATS_PASSWORD };
const AUTH = ["--user", "maspo", "--password-env", "NATS_PASSWORD"];

let server: NatsServer;
let sim: CountingSimServer;
let procs: MaspoProcess[] = [];

beforeAll(async () => {
  [server, sim] = await Promise.all([startNatsServer({ auth: { user: "maspo", password: NATS_PASSWORD } }), startCountingSim()]);
}, 60_000);

afterAll(async () => {
  await stopAll(procs);
  await sim?.close();
  await server?.dispose();
  await removeTempDirs();
});

function leaks(where: string, text: string): string[] {
  return SECRETS.filter((s) => text.includes(s)).map((s) => `${where} contains ${s === API_KEY ? "the API key" : "the NATS password"}`);
}

describe("cluster security", () => {
  it("refuses a worker and a coordinator that bring no credentials, saying the server refused them", async () => {
    const worker = spawnMaspo("worker-without-credentials", ["worker", "evaluator", "--nats", server.url, "--run", "x"]);
    const coordinator = spawnMaspo("coordinator-without-credentials", ["run", SMALL_SPEC, "--nats", server.url, "--out", await tempDir()]);
    for (const proc of [worker, coordinator]) {
      expect((await proc.exited).code, proc.output()).toBe(1);
      expect(proc.output()).toMatch(/refused the credentials/);
    }
    const wrong = spawnMaspo("worker-with-a-wrong-password", ["worker", "evaluator", "--nats", server.url, "--run", "x", ...AUTH], {
      NATS_PASSWORD: "wrong",
    });
    expect((await wrong.exited).code).toBe(1);
    expect(wrong.output()).toMatch(/refused the credentials/);
  });

  it("keeps the API key and the NATS password off the bus and out of every log, metric, checkpoint and report", async () => {
    const runId = "secrets";
    const spec = await httpSpec(sim.url, "MASPO_TEST_API_KEY");
    // Everything published on the account: work, results, KV writes (checkpoint, cache), API traffic.
    const { nc } = await connectNats(
      { servers: server.url, user: "maspo", passwordEnv: "P" },
      {
        env: { P: NATS_PASSWORD },
        readFile: () => Promise.reject(new Error("no files")),
      },
    );
    const busLeaks: string[] = [];
    let messages = 0;
    let sawSpec = false;
    const secretBytes = SECRETS.map((s) => Buffer.from(s));
    const sub = nc.subscribe(">", {
      callback: (_err, msg) => {
        messages++;
        const data = Buffer.from(msg.data);
        if (data.includes("MASPO_TEST_API_KEY")) sawSpec = true;
        const headers = msg.headers ? Buffer.from(encode([...msg.headers].map(([k, v]) => [k, v]))) : Buffer.alloc(0);
        secretBytes.forEach((s, i) => {
          if (data.includes(s) || headers.includes(s) || msg.subject.includes(SECRETS[i] as string))
            busLeaks.push(`${msg.subject} carries secret ${i}`);
        });
      },
    });

    procs = startWorkers(server.url, runId, { executor: 1, evaluator: 1, mutator: 1 }, AUTH, ENV);
    const out = await tempDir();
    const coordinator = spawnMaspo(
      "coordinator",
      ["run", spec, "--nats", server.url, "--run-id", runId, "--out", out, "--json-logs", "--metrics-port", "auto", ...AUTH],
      ENV,
    );
    procs.push(coordinator);
    await waitForStep(coordinator, 2);
    const coordinatorMetrics = await scrapeMetrics(coordinator);
    // The record (spec + checkpoint) while the run runs: a done run's record is removed with its
    // streams, and every later write of it passes the bus watch above.
    const record = await readRunRecord(nc, runId);
    expect((await exitedWithin(coordinator, 100_000, procs)).code, outputs(procs)).toBe(0);
    const workerMetrics = await Promise.all(procs.filter((p) => p !== coordinator).map(scrapeMetrics));
    await stopAll(procs);
    await nc.flush();
    sub.unsubscribe();
    const recordAfter = await readRunRecord(nc, runId);
    await nc.close();

    expect(sim.total(), "the workers must have called the keyed endpoint").toBeGreaterThan(0);
    expect(messages).toBeGreaterThan(100);
    expect(sawSpec, "the watch must see KV writes: the published spec names the key variable").toBe(true);
    expect(record?.status).toBe("running");
    expect(record?.checkpoint).not.toBeNull();
    expect(recordAfter, "a done run's record is removed").toBeUndefined();
    const found = [
      ...busLeaks,
      ...procs.flatMap((p) => leaks(`${p.name}'s output`, p.output())),
      ...leaks("coordinator metrics", coordinatorMetrics),
      ...workerMetrics.flatMap((m, i) => leaks(`worker ${i} metrics`, m)),
      ...leaks("the run record (spec + checkpoint)", JSON.stringify(record)),
    ];
    for (const file of await readdir(out)) found.push(...leaks(file, await readFile(join(out, file), "utf8")));
    expect(found).toEqual([]);
    // The spec on the bus names the key's variable, and only that.
    expect(JSON.stringify(record?.spec)).toContain("MASPO_TEST_API_KEY");
  }, 120_000);
});

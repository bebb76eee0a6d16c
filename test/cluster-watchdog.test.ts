/**
 * No silent stall in cluster mode. The coordinator's watchdog turns "tasks awaited, no result for
 * cluster.watchdogMs" into a resumable stop (exit 3, checkpoint kept) naming what is missing: a role
 * with no worker, or the run's streams wiped from under it. And a run that fails while its results
 * reader is still being opened exits instead of waiting for ever on that reader.
 */
import { connectNats, openJetStreamWorkQueue, runStreamNames, startQueueWorkers, type NatsSession } from "@maspo/cluster";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "./helpers/nats-server.js";
import {
  type MaspoProcess,
  type ReportJson,
  SMALL_SPEC,
  embeddedReport,
  exitedWithin,
  outputs,
  readReport,
  removeTempDirs,
  spawnMaspo,
  startWorkers,
  stopAll,
  tempDir,
  waitForStep,
} from "./fixtures/maspo-processes.js";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

let server: NatsServer;
let reference: ReportJson;
let session: NatsSession;
let procs: MaspoProcess[] = [];

beforeAll(async () => {
  [server, reference] = await Promise.all([startNatsServer(), embeddedReport(SMALL_SPEC)]);
  session = await connectNats({ servers: server.url });
}, 60_000);

afterEach(async () => {
  await stopAll(procs);
  procs = [];
});

afterAll(async () => {
  await session?.nc.close();
  await server?.dispose();
  await removeTempDirs();
});

/** The small spec with a short watchdog. */
async function watchedSpec(): Promise<string> {
  const file = join(await tempDir("maspo-spec-"), "watched.yaml");
  await writeFile(file, `${await readFile(SMALL_SPEC, "utf8")}\ncluster:\n  watchdogMs: 2000\n`);
  return file;
}

function coordinate(spec: string, runId: string, out: string, extra: string[] = []): MaspoProcess {
  const coordinator = spawnMaspo(`coordinator${extra.length > 0 ? "-resumed" : ""}`, [
    "run",
    spec,
    "--nats",
    server.url,
    "--run-id",
    runId,
    "--out",
    out,
    "--json-logs",
    ...extra,
  ]);
  procs.push(coordinator);
  return coordinator;
}

/** The small spec on an inline dataset whose first train example is `bytes` long (exact-match metric). */
async function specWithBigExample(bytes: number): Promise<string> {
  const text = await readFile(SMALL_SPEC, "utf8");
  const inline = [
    "dataset:",
    "  source:",
    "    kind: inline",
    "    train:",
    `      - { id: big, input: "${"How many? ".repeat(Math.ceil(bytes / 10))}", label: "1" }`,
    ...[1, 2, 3, 4].map((i) => `      - { id: t${i}, input: "What is ${i} + ${i}?", label: "${2 * i}" }`),
    "    heldOut:",
    ...[1, 2].map((i) => `      - { id: h${i}, input: "What is ${i} + 10?", label: "${i + 10}" }`),
  ].join("\n");
  const replaced = text
    .replace(/^dataset:\n {2}source:\n( {4}.*\n)+/m, `${inline}\n`)
    .replace("    kind: world", "    kind: exact_match\n    extract: 'Answer:\\s*(-?\\d+)'");
  if (!replaced.includes("id: big") || replaced.includes("kind: world")) throw new Error("the small spec's dataset or metric moved");
  const file = join(await tempDir("maspo-spec-"), "big-example.yaml");
  await writeFile(file, replaced);
  return file;
}

describe("the cluster coordinator's watchdog", () => {
  it("refuses, before it creates anything, a dataset with an example over the server's max_payload, naming it", async () => {
    const small = await startNatsServer({ config: "max_payload: 4096" });
    try {
      const out = await tempDir();
      const coordinator = spawnMaspo("coordinator-big-example", ["run", await specWithBigExample(6000), "--nats", small.url, "--out", out]);
      procs.push(coordinator);
      expect((await exitedWithin(coordinator, 60_000, procs)).code, coordinator.output()).toBe(1);
      expect(coordinator.output()).toMatch(
        /dataset example "big", which every task about it carries, is \d+ bytes, over the server's max_payload of 4096/,
      );
      const { nc, jsm } = await connectNats({ servers: small.url });
      expect(await jsm.streams.names().next(), "nothing was created").toEqual([]);
      await nc.close();
    } finally {
      await small.dispose();
    }
  });

  it("ends cluster workers whose results reader is closed while it is being opened (a run failing that early exits)", async () => {
    const queue = await openJetStreamWorkQueue({ nc: session.nc, runId: "closed-early" });
    const workers = startQueueWorkers({ queue });
    // Closed at once: the reader is still opening its consumer. Before the fix this never returned.
    await workers.close();
    await expect(workers.runGraph({ prompts: {}, example: { id: "e", input: "x" } })).rejects.toMatchObject({ code: "E_RESULTS_LOST" });
  });

  it("stops a run with no evaluator worker with exit 3 naming the role and how to start one; a resume with one completes", async () => {
    const runId = "no-evaluator";
    const spec = await watchedSpec();
    procs.push(...startWorkers(server.url, runId, { executor: 1, evaluator: 0, mutator: 1 }));
    const out = await tempDir();
    const coordinator = coordinate(spec, runId, out);
    const { code } = await exitedWithin(coordinator, 60_000, procs);
    expect(code, outputs(procs)).toBe(3);
    expect(coordinator.output()).toMatch(
      /no evaluator worker has taken a task for \d+ s \(\d+ waiting; no worker is attached\): start one, `maspo worker evaluator --nats nats:\/\/127\.0\.0\.1:\d+`/,
    );
    expect(coordinator.output()).toContain(`--resume ${runId}`);

    procs.push(...startWorkers(server.url, runId, { executor: 0, evaluator: 1, mutator: 0 }));
    const resumed = coordinate(spec, runId, out, ["--resume"]);
    expect((await exitedWithin(resumed, 100_000, procs)).code, outputs(procs)).toBe(0);
    expect((await readReport(out)).finalPrompts).toEqual(reference.finalPrompts);
  }, 150_000);

  it("stops a run whose JetStream streams are wiped mid-run with exit 3 naming the missing streams", async () => {
    const runId = "wiped";
    procs.push(...startWorkers(server.url, runId, { executor: 1, evaluator: 1, mutator: 1 }));
    const coordinator = coordinate(await watchedSpec(), runId, await tempDir());
    await waitForStep(coordinator, 1);
    const names = runStreamNames(runId);
    for (const stream of [names.work, names.results]) await session.jsm.streams.delete(stream);
    const { code } = await exitedWithin(coordinator, 60_000, procs);
    expect(code, outputs(procs)).toBe(3);
    expect(coordinator.output()).toMatch(
      new RegExp(`streams? (${names.work}|${names.results})(, (${names.work}|${names.results}))? (is|are) gone`),
    );
  }, 120_000);
});

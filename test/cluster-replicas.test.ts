/**
 * Availability on a real 3-node NATS cluster on loopback (issue 15, item 4): every stream and KV
 * bucket a run creates is kept in 3 copies (the default on 3 servers), an older bucket with one copy
 * is scaled up, and a run whose stream leader's server is killed with SIGKILL mid-run completes
 * with the uninterrupted run's final prompts, every process saying so in its log and its metrics.
 * And a run asking for more copies than the cluster has servers is refused before it creates anything.
 */
import { Kvm } from "@nats-io/kv";
import {
  RESPONSE_CACHE_BUCKET,
  RUN_REGISTRY_BUCKET,
  RunRegistry,
  connectNats,
  runBucketNames,
  runStreamNames,
  type NatsSession,
} from "@maspo/cluster";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type NatsCluster, startNatsCluster, startNatsServer } from "./helpers/nats-server.js";
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
let reference: ReportJson;
let sim: CountingSimServer;
let cluster: NatsCluster;
let procs: MaspoProcess[] = [];
const sessions: NatsSession[] = [];

beforeAll(async () => {
  reference = await embeddedReport(SMALL_SPEC);
  // Latency keeps tasks in flight while the server goes.
  sim = await startCountingSim({ latencyMs: 10 });
  cluster = await startNatsCluster(3);
}, 120_000);

afterEach(async () => {
  await stopAll(procs);
  procs = [];
  await Promise.all(sessions.splice(0).map((s) => s.nc.close()));
});

afterAll(async () => {
  await cluster?.dispose();
  await sim?.close();
  await removeTempDirs();
});

async function observe(servers: string): Promise<NatsSession> {
  const session = await connectNats({ servers });
  sessions.push(session);
  return session;
}

/** The streams behind everything a cluster run creates: its three streams and the KV buckets. */
function runResources(runId: string): string[] {
  const names = runStreamNames(runId);
  return [
    names.work,
    names.results,
    names.dead,
    `KV_${runBucketNames(runId).checkpoints}`,
    `KV_${RUN_REGISTRY_BUCKET}`,
    `KV_${RESPONSE_CACHE_BUCKET}`,
  ];
}

describe("replicas on a 3-node NATS cluster", () => {
  it("scales a cluster-wide bucket made with one copy (by an older maspo) up to the default 3 when it is opened", async () => {
    const { nc, jsm } = await observe(cluster.urls);
    await new Kvm(nc).create(RUN_REGISTRY_BUCKET, { history: 1, replicas: 1 });
    expect((await jsm.streams.info(`KV_${RUN_REGISTRY_BUCKET}`)).config.num_replicas).toBe(1);
    await RunRegistry.open(nc);
    expect((await jsm.streams.info(`KV_${RUN_REGISTRY_BUCKET}`)).config.num_replicas).toBe(3);
  }, 60_000);

  it("keeps every stream and bucket of a run in 3 copies, and the run survives SIGKILL of its results stream's leader with the uninterrupted run's prompts, every process logging the outage and its metrics showing it", async () => {
    const runId = "replicas-kill";
    // A short ack wait: a task whose worker's server died while it answered comes back in seconds.
    const spec = await httpSpec(sim.url, "MASPO_TEST_KEY", "cluster:\n  ackWaitMs: 2000\n");
    const workers = startWorkers(cluster.urls, runId, { executor: 2, evaluator: 2, mutator: 1 }, [], KEY_ENV);
    procs.push(...workers);
    const out = await tempDir();
    const coordinator = spawnMaspo(
      "coordinator",
      ["run", spec, "--nats", cluster.urls, "--run-id", runId, "--out", out, "--json-logs", "--metrics-port", "auto"],
      KEY_ENV,
    );
    procs.push(coordinator);
    await coordinator.waitForLine(/3 replica\(s\) per stream and bucket \(the default, on a cluster of 3 servers\)/);
    await waitForStep(coordinator, 2);

    const { jsm } = await observe(cluster.urls);
    for (const stream of runResources(runId)) {
      expect((await jsm.streams.info(stream)).config.num_replicas, stream).toBe(3);
    }
    const leader = (await jsm.streams.info(runStreamNames(runId).results)).cluster?.leader;
    // The servers are n1…n3 in order.
    const victim = cluster.servers[Number(/^n(\d)$/.exec(leader ?? "")?.[1]) - 1];
    if (!victim) throw new Error(`the results stream's leader "${leader}" is none of the cluster's servers`);
    await victim.kill();

    // The coordinator's metrics show the outage while the run rides it out.
    const metricsUrl = /(http:\/\/\S+\/metrics)/.exec(await coordinator.waitForLine(/coordinator metrics on http/))?.[1] ?? "";
    let outageSeen = 0;
    while (outageSeen === 0 && coordinator.child.exitCode === null) {
      const text = await fetch(metricsUrl).then(
        (r) => r.text(),
        () => "",
      );
      outageSeen = metricSum(text, "maspo_nats_disconnects_total") + metricSum(text, "maspo_nats_cluster_servers_lost_total");
      if (outageSeen === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(outageSeen, "the coordinator's metrics show the outage").toBeGreaterThan(0);

    const { code } = await exitedWithin(coordinator, 150_000, procs);
    expect(code, outputs(procs)).toBe(0);
    const report = await readReport(out);
    expect(report.finalPrompts).toEqual(reference.finalPrompts);
    expect(report.delta.heldOut).toEqual(reference.delta.heldOut);

    // Each process lost its server, or was told by its server that the victim left the cluster.
    const victimAddress = `127.0.0.1:${victim.port}`;
    for (const proc of procs) {
      expect(proc.output(), proc.name).toMatch(
        new RegExp(`lost the NATS connection to [^"]*${victimAddress}|NATS cluster changed: [^"]*${victimAddress}[^"]* gone`),
      );
    }
    // The stream's move to another leader is logged by the processes that stayed connected.
    expect(outputs(procs)).toMatch(new RegExp(`JetStream stream ${runStreamNames(runId).results} has a new leader: n[1-3]`));
    for (const worker of workers) {
      const metrics = await scrapeMetrics(worker);
      expect(metricSum(metrics, "maspo_jetstream_replicas"), worker.name).toBe(3);
      const seen = metricSum(metrics, "maspo_nats_disconnects_total") + metricSum(metrics, "maspo_nats_cluster_servers_lost_total");
      expect(seen, `${worker.name} metrics show the outage`).toBeGreaterThan(0);
    }
  }, 240_000);
});

describe("replicas the cluster cannot hold", () => {
  it("refuses a new run asking for more copies than there are servers (E_NATS_REPLICAS: exit 2, refused) before it creates anything", async () => {
    const server = await startNatsServer();
    try {
      const out = await tempDir();
      const run = spawnMaspo("coordinator", ["run", SMALL_SPEC, "--nats", server.url, "--out", out, "--set", "cluster.replicas=3"]);
      procs.push(run);
      const { code } = await run.exited;
      expect(code, run.output()).toBe(2);
      expect(run.output()).toMatch(/cluster\.replicas is 3, but .* is a single server, not a cluster/);
      const { jsm } = await observe(server.url);
      const streams: string[] = [];
      for await (const name of jsm.streams.names()) streams.push(name);
      expect(streams).toEqual([]);
    } finally {
      await server.dispose();
    }
  }, 60_000);
});

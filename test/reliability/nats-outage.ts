/**
 * Reliability cases "NATS outage": a cluster run whose nats-server is killed with SIGKILL at a seeded
 * random step and restarted on its store after a seeded random downtime; and a run on a 3-node
 * cluster that loses one node for good (measureNodeLoss). Each run must complete with
 * the embedded run's final prompts (nothing lost); the bench reports how long the run stalled past
 * the server's return, and whether any process said so (an outage nobody logs is a silent stall).
 */
import { type NatsServer, startNatsCluster, startNatsServer } from "../helpers/nats-server.js";
import { type ReportJson, SMALL_SPEC, embeddedReport, httpSpec, startCountingSim } from "../fixtures/maspo-processes.js";
import { type CaseResult, repeatedCalls, seeded, timing, zero } from "./figures.js";
import { KEY_VAR, drift, endOf, lastStep, nextStepAfter, reachedStep, sleep, startClusterRun } from "./runs.js";

/** A log line about the broken NATS connection, from any process of the run. */
export const OUTAGE_MESSAGE = /lost the NATS connection|disconnected|reconnect|NATS cluster changed|has a new leader|lost its quorum/i;

export interface NatsOutageOptions {
  repeats: number;
  seed?: number;
  reference?: ReportJson;
}

export async function measureNatsRestarts(options: NatsOutageOptions): Promise<CaseResult> {
  const started = Date.now();
  const random = seeded(options.seed ?? 1);
  const reference = options.reference ?? (await embeddedReport(SMALL_SPEC));
  const rows: CaseResult["rows"] = [];
  for (let i = 0; i < options.repeats; i++) {
    const afterStep = 1 + Math.floor(random() * 9);
    const downMs = 200 + Math.floor(random() * 1800);
    const server: NatsServer = await startNatsServer();
    const sim = await startCountingSim({ latencyMs: 5 });
    try {
      const spec = await httpSpec(sim.url, KEY_VAR);
      const run = await startClusterRun(spec, server.url, `rel-nats-kill-${i + 1}`);
      await reachedStep(run.coordinator, afterStep);
      const killed = run.coordinator.child.exitCode === null;
      const stepAtKill = lastStep(run.coordinator);
      const outputBefore = run.all().map((p) => p.output().length);
      if (killed) await server.kill();
      await sleep(downMs);
      await server.restart();
      const backAt = Date.now();
      const progressed = nextStepAfter(run.coordinator, stepAtKill);
      const end = await endOf(run.coordinator, run.out, run.workers, 180_000);
      const stalledSeconds = Math.max(0, ((await progressed) - backAt) / 1000);
      const said = run.all().some((p, k) => OUTAGE_MESSAGE.test(p.output().slice(outputBefore[k] ?? 0)));
      rows.push({
        run: i + 1,
        stepAtKill,
        killed,
        downMs,
        exit: end.hung ? "hung" : String(end.code),
        lost: end.code === 0 ? 0 : 1,
        drift: drift(end.report, reference).join(", ") || "none",
        stalledSeconds: Number(stalledSeconds.toFixed(2)),
        outageLogged: said,
        repeated: repeatedCalls(sim.requests),
        ...(end.code === 0 ? {} : { says: end.says }),
      });
    } finally {
      await sim.close();
      await server.dispose();
    }
  }
  return {
    id: "nats-restart",
    title: "nats-server kill -9 and restart mid-run",
    repeats: options.repeats,
    rows,
    seconds: (Date.now() - started) / 1000,
    figures: outageFigures(rows),
  };
}

/**
 * A 3-node NATS cluster on loopback (every stream and bucket in 3 copies: cluster.replicas 3) that
 * loses one node, drawn at random, to SIGKILL at a random step; the node stays down. The run must
 * complete unchanged; the bench reports how long it stalled after the kill.
 */
export async function measureNodeLoss(options: NatsOutageOptions): Promise<CaseResult> {
  const started = Date.now();
  const random = seeded(options.seed ?? 1);
  const reference = options.reference ?? (await embeddedReport(SMALL_SPEC));
  const rows: CaseResult["rows"] = [];
  for (let i = 0; i < options.repeats; i++) {
    const afterStep = 1 + Math.floor(random() * 9);
    const victimIndex = Math.floor(random() * 3);
    const cluster = await startNatsCluster(3);
    const sim = await startCountingSim({ latencyMs: 5 });
    try {
      const spec = await httpSpec(sim.url, KEY_VAR, "cluster:\n  replicas: 3\n");
      const run = await startClusterRun(spec, cluster.urls, `rel-node-loss-${i + 1}`);
      await reachedStep(run.coordinator, afterStep);
      const killed = run.coordinator.child.exitCode === null;
      const stepAtKill = lastStep(run.coordinator);
      const outputBefore = run.all().map((p) => p.output().length);
      const victim = cluster.servers[victimIndex];
      if (killed) await victim?.kill();
      const killedAt = Date.now();
      const progressed = nextStepAfter(run.coordinator, stepAtKill);
      const end = await endOf(run.coordinator, run.out, run.workers, 180_000);
      const stalledSeconds = Math.max(0, ((await progressed) - killedAt) / 1000);
      const said = run.all().some((p, k) => OUTAGE_MESSAGE.test(p.output().slice(outputBefore[k] ?? 0)));
      rows.push({
        run: i + 1,
        stepAtKill,
        killed,
        node: `n${victimIndex + 1}`,
        exit: end.hung ? "hung" : String(end.code),
        lost: end.code === 0 ? 0 : 1,
        drift: drift(end.report, reference).join(", ") || "none",
        stalledSeconds: Number(stalledSeconds.toFixed(2)),
        outageLogged: said,
        repeated: repeatedCalls(sim.requests),
        ...(end.code === 0 ? {} : { says: end.says }),
      });
    } finally {
      await sim.close();
      await cluster.dispose();
    }
  }
  return {
    id: "node-loss",
    title: "a 3-node NATS cluster (replicas 3) losing one node mid-run",
    repeats: options.repeats,
    rows,
    seconds: (Date.now() - started) / 1000,
    figures: outageFigures(
      rows,
      "seconds from the node's loss to the run's next step (max)",
      30,
      "leader elections on the two surviving nodes, then tasks in flight on the lost node's connections come back after the ack wait",
    ),
  };
}

/** The figures of an outage case (a server killed and restarted, or a cluster node lost). */
export function outageFigures(
  rows: CaseResult["rows"],
  stallName = "seconds stalled after the server was back (max)",
  stallBound = 10,
  stallNote = "from the moment the server serves again to the run's next step",
): CaseResult["figures"] {
  return [
    zero(
      "tasks lost (runs that did not complete)",
      rows.reduce((n, r) => n + Number(r.lost), 0),
    ),
    zero("runs whose final prompts or held-out delta drifted", rows.filter((r) => r.drift !== "none").length),
    zero(
      "stalls without a message",
      rows.filter((r) => r.killed === true && r.outageLogged !== true).length,
      "an outage no process logged (coordinator or worker: the connection lost or back, the cluster changed, a new leader, a lost quorum)",
    ),
    timing(stallName, Math.max(0, ...rows.map((r) => Number(r.stalledSeconds))), stallBound, stallNote),
    {
      name: "LLM calls answered twice",
      value: rows.reduce((n, r) => n + Number(r.repeated), 0),
      target: "informational",
      met: true,
      note: "results in flight when the connection broke are redelivered; their calls come from the shared cache unless its write was lost too",
    },
  ];
}

/**
 * Reliability case "worker kill": a cluster run (2 workers of each role) in which one worker, of a
 * role and at a moment drawn from a seeded generator, is killed with SIGKILL. Each run must end with
 * the embedded run's final prompts (nothing lost, no drift); LLM calls the endpoint answers twice
 * are counted. A worker killed mid-call takes that call's answer with it, so its task's redelivery
 * asks again: the honest bound on repeats is the number of calls the killed worker had in flight,
 * counted by the endpoint as requests whose client went away before the answer was complete.
 */
import { type NatsServer, startNatsServer } from "../helpers/nats-server.js";
import { type ReportJson, SMALL_SPEC, embeddedReport, httpSpec, startCountingSim } from "../fixtures/maspo-processes.js";
import { type CaseResult, repeatedCalls, repeatsAroundKill, seeded, timing, zero } from "./figures.js";
import { tcpPortsTo } from "./victim-sockets.js";
import { KEY_VAR, drift, endOf, lastStep, nextStepAfter, sleep, startClusterRun, reachedStep } from "./runs.js";

const ROLES = ["executor", "evaluator", "mutator"] as const;
/** The spec's cluster.ackWaitMs when the case sets none (core's spec default). */
const DEFAULT_ACK_WAIT_MS = 10_000;
/** Steps of the small spec's run (orientation, 3 inits, 2 rounds × 4). */
const STEPS = 12;

export interface WorkerKillOptions {
  repeats: number;
  seed?: number;
  /** The run's cluster.ackWaitMs (how soon a dead worker's task comes back); absent: the spec default. */
  ackWaitMs?: number;
  /** Reused when given (its runs get distinct ids); otherwise one is started and disposed. */
  server?: NatsServer;
  reference?: ReportJson;
}

export async function measureWorkerKills(options: WorkerKillOptions): Promise<CaseResult> {
  const started = Date.now();
  const random = seeded(options.seed ?? 1);
  const server = options.server ?? (await startNatsServer());
  const reference = options.reference ?? (await embeddedReport(SMALL_SPEC));
  const rows: CaseResult["rows"] = [];
  try {
    for (let i = 0; i < options.repeats; i++) {
      const role = ROLES[Math.floor(random() * ROLES.length)] ?? "executor";
      const victimIndex = Math.floor(random() * 2);
      const afterStep = 1 + Math.floor(random() * (STEPS - 2));
      const delayMs = Math.floor(random() * 400);
      // Latency keeps calls in flight long enough for a kill to land mid-call.
      const sim = await startCountingSim({ latencyMs: 15 });
      try {
        const cluster = options.ackWaitMs !== undefined ? `cluster:\n  ackWaitMs: ${options.ackWaitMs}\n` : "";
        const spec = await httpSpec(sim.url, KEY_VAR, cluster);
        const runId = `rel-worker-kill-${i + 1}-${Date.now().toString(36)}`;
        const run = await startClusterRun(spec, server.url, runId);
        const victim = run.workers.filter((w) => w.name.startsWith(role))[victimIndex];
        if (!victim) throw new Error(`no ${role} worker ${victimIndex + 1}`);
        await reachedStep(run.coordinator, afterStep);
        await sleep(delayMs);
        const killed = run.coordinator.child.exitCode === null;
        const stepAtKill = lastStep(run.coordinator);
        // The victim's connections to the endpoint, read the moment before it dies: its asks told apart.
        const victimPorts = killed ? tcpPortsTo(victim.child.pid, sim.port) : new Set<number>();
        const killedAt = Date.now();
        if (killed) victim.child.kill("SIGKILL");
        const recovered = nextStepAfter(run.coordinator, stepAtKill);
        const end = await endOf(run.coordinator, run.out, run.workers, 180_000);
        const recoverySeconds = ((await recovered) - killedAt) / 1000;
        const differs = drift(end.report, reference);
        const repeats = repeatsAroundKill(sim.asks, killed ? killedAt : Number.POSITIVE_INFINITY, sim.abandonedBodies, {
          ports: victimPorts,
          until: killedAt + (options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS),
        });
        rows.push({
          run: i + 1,
          victim: victim.name,
          stepAtKill,
          killed,
          exit: end.hung ? "hung" : String(end.code),
          lost: end.code === 0 ? 0 : 1,
          drift: differs.join(", ") || "none",
          repeated: repeatedCalls(sim.requests),
          repeatedInFlightAtKill: repeats.inFlight,
          repeatedOther: repeats.other,
          abandonedByVictim: sim.abandoned(),
          victimConnections: victimPorts.size,
          repeatedInTransitAtKill: repeats.sentBeforeKillArrivedAfter,
          ...(repeats.others.length > 0 ? { repeatedOtherDetail: repeats.others.join("; ") } : {}),
          recoverySeconds: Number(recoverySeconds.toFixed(2)),
          ...(end.code === 0 ? {} : { says: end.says }),
        });
      } finally {
        await sim.close();
      }
    }
  } finally {
    if (!options.server) await server.dispose();
  }
  const sum = (k: string) => rows.reduce((n, r) => n + Number(r[k] ?? 0), 0);
  return {
    id: "worker-kill",
    title: "kill -9 of a random worker at a random moment",
    repeats: options.repeats,
    rows,
    seconds: (Date.now() - started) / 1000,
    figures: [
      zero("tasks lost (runs that did not complete)", sum("lost")),
      zero("runs whose final prompts or held-out delta drifted", rows.filter((r) => r.drift !== "none").length),
      {
        name: "LLM calls answered twice",
        value: sum("repeated"),
        target: `≤ ${sum("repeatedInFlightAtKill")} (calls in flight at the kills, asked again)`,
        met: sum("repeatedOther") === 0,
        note:
          "a call in flight dies with its worker (its answer, if sent, is never stored) and the task's redelivery asks it again: " +
          "a body first asked before the kill, or whose ask the killed worker abandoned or sent (told by its TCP connections, read from /proc the moment before the kill: a request in transit reaches the endpoint after the kill), and asked again counts against this bound, once; every other repeat breaks it",
      },
      zero("LLM calls answered twice that were not in flight at a kill", sum("repeatedOther")),
      {
        name: "kills whose victim had an unanswered call open",
        value: rows.filter((r) => Number(r.abandonedByVictim) > 0).length,
        target: "informational",
        met: true,
        note: "requests whose client went away before the answer was complete, as the endpoint saw them",
      },
      timing(
        "seconds from the kill to the run's next step (max)",
        Math.max(0, ...rows.map((r) => Number(r.recoverySeconds))),
        60,
        "bounded by the ack wait: the dead worker's tasks come back once it expires",
      ),
    ],
  };
}

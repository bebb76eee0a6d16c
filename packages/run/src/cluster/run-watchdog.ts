/**
 * The cluster coordinator's watchdog: no stall is silent. It follows the tasks the coordinator
 * awaits (submitted, no result yet) and the time of the last result; when tasks are awaited and no
 * result has come for `stallMs`, it reads the run's streams and its roles' consumers and says what
 * is missing. Something that cannot come back by itself (the run's streams gone, a consumer gone, no
 * worker taking a role's tasks, awaited tasks in no queue) stops the run with RunStalledError — a
 * resumable stop (exit 3), its checkpoint kept. Tasks still in progress (their workers heartbeat
 * them) only get a warning, again every `stallMs`: a long task is not a stall.
 */
import { MaspoError, WORKER_ROLES, type ClusterSettings, type WorkerRole } from "@maspo/core";
import { readRunHealth, type NatsSession, type QueueWorkersEvent, type RunHealth } from "@maspo/cluster";

export class RunStalledError extends MaspoError<"E_RUN_STALLED"> {
  constructor(runId: string, stalledMs: number, problems: readonly string[]) {
    super(
      "E_RUN_STALLED",
      `run ${runId} stalled: no task result for ${seconds(stalledMs)} while tasks were awaited:\n${problems.map((p) => `  - ${p}`).join("\n")}\n` +
        `The run's record and checkpoint are kept: fix that, then resume with \`maspo run <spec> --nats <url> --resume ${runId}\`.`,
    );
  }
}

/**
 * The default stall bound: a task's worst case on the queue before it is an error result — every
 * delivery's ack wait plus every retry delay — and at least a minute.
 */
export function defaultStallMs(cluster: Pick<ClusterSettings, "ackWaitMs" | "maxDeliver" | "backoffMs">): number {
  const backoff = cluster.backoffMs.reduce((sum, ms) => sum + ms, 0);
  return Math.max(60_000, cluster.ackWaitMs * cluster.maxDeliver + backoff);
}

export interface RunWatchdogOptions {
  jsm: NatsSession["jsm"];
  runId: string;
  stallMs: number;
  /** The NATS servers as the operator gave them (no credentials), for the commands the messages suggest. */
  natsUrl: string;
  /** A warning: tasks in progress for long, or a check that could not be made. */
  log: (line: string) => void;
  now?: () => number;
}

export interface RunWatchdog {
  /** Feed it the coordinator's queue events (submitting, resolved). */
  onEvent(event: QueueWorkersEvent): void;
  /** Rejects with RunStalledError when the run has stalled; never resolves. */
  readonly stalled: Promise<never>;
  stop(): void;
}

export function startRunWatchdog(options: RunWatchdogOptions): RunWatchdog {
  const now = options.now ?? Date.now;
  // Only what is awaited: a task id whose result was read is never submitted again (queue-workers.ts),
  // so nothing of a finished task need be kept here over a long run.
  const awaited = new Map<string, WorkerRole>();
  let lastProgress = now();
  let checking = false;
  let fail: (error: RunStalledError) => void = () => undefined;
  const stalled = new Promise<never>((_, reject) => (fail = reject));
  // The caller races it against the run; unobserved (the run ended first), it must not be unhandled.
  stalled.catch(() => undefined);

  const check = async (): Promise<void> => {
    const since = now() - lastProgress;
    const roles = WORKER_ROLES.filter((role) => [...awaited.values()].includes(role));
    let health: RunHealth;
    try {
      health = await readRunHealth(options.jsm, options.runId, roles);
    } catch (err) {
      fail(new RunStalledError(options.runId, since, [`the run's streams cannot be read (${describe(err)}): is NATS reachable?`]));
      return;
    }
    const { problems, warnings } = diagnose(health, roles, awaited, since, options.natsUrl);
    if (problems.length > 0) {
      fail(new RunStalledError(options.runId, since, problems));
      return;
    }
    for (const warning of warnings) options.log(`maspo: watchdog: ${warning}`);
    lastProgress = now(); // warn again after another stallMs
  };

  const timer = setInterval(
    () => {
      if (awaited.size === 0) lastProgress = now(); // nothing awaited: waiting on nothing is no stall
      if (checking || awaited.size === 0 || now() - lastProgress < options.stallMs) return;
      checking = true;
      void check().finally(() => (checking = false));
    },
    Math.max(100, Math.min(5_000, Math.floor(options.stallMs / 4))),
  );

  return {
    onEvent(event) {
      if (event.type === "submitting") {
        awaited.set(event.taskId, event.role);
      } else if (event.type === "resolved") {
        awaited.delete(event.taskId);
        lastProgress = now();
      }
    },
    stalled,
    stop: () => clearInterval(timer),
  };
}

/** What keeps each role's awaited tasks from coming back: problems stop the run, warnings do not. */
function diagnose(
  health: RunHealth,
  roles: readonly WorkerRole[],
  awaited: ReadonlyMap<string, WorkerRole>,
  sinceMs: number,
  natsUrl: string,
): { problems: string[]; warnings: string[] } {
  if (health.missingStreams.length > 0) {
    return {
      problems: [
        `the run's JetStream stream${health.missingStreams.length === 1 ? "" : "s"} ${health.missingStreams.join(", ")} ${health.missingStreams.length === 1 ? "is" : "are"} gone (a NATS server restarted without its store, or deleted by hand): no result can come; the run's checkpoint in KV is what a resume goes on from`,
      ],
      warnings: [],
    };
  }
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const role of roles) {
    const count = [...awaited.values()].filter((r) => r === role).length;
    const consumer = health.consumers[role];
    if (!consumer) continue;
    if (!consumer.present) {
      problems.push(`the ${role} consumer ${consumer.name} is gone: no ${role} task can be delivered (${count} awaited)`);
    } else if (consumer.pending > 0 && consumer.ackPending === 0) {
      const pulling = consumer.waiting === 0 ? "no worker is attached" : "workers are attached but take none";
      problems.push(
        `no ${role} worker has taken a task for ${seconds(sinceMs)} (${consumer.pending} waiting; ${pulling}): start one, \`maspo worker ${role} --nats ${natsUrl}\``,
      );
    } else if (consumer.ackPending > 0) {
      warnings.push(
        `${consumer.ackPending} ${role} task(s) in progress and no result for ${seconds(sinceMs)}; their workers still hold them (a long task, or slow LLM endpoints)`,
      );
    } else {
      problems.push(
        `${count} awaited ${role} task(s) are neither queued nor in progress, and no result came for ${seconds(sinceMs)}: they were lost (removed from the work stream) or their results never reached this coordinator`,
      );
    }
  }
  return { problems, warnings };
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

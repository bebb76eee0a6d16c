/**
 * Reliability case "auth": who the NATS server lets in, and how far. On a server with one user per
 * maspo role (deploy/'s per-role permissions, renderRoleAuthorization): clients without credentials
 * or with a wrong password are refused (raw connections and the `maspo` processes alike), and each
 * worker role is refused every other role's result subject, every other role's consumer and task
 * submission. On a server with two accounts: a client of the other account, during a live run, sees
 * none of its messages, finds none of its streams, cannot resume it, and a result it forges does not
 * reach it (the run ends with the reference's prompts). The target is 0 admitted everywhere.
 */
import { AckPolicy, jetstream } from "@nats-io/jetstream";
import {
  MASPO_ROLES,
  type MaspoRole,
  type NatsSession,
  connectNats,
  encode,
  openJetStreamWorkQueue,
  renderRoleAuthorization,
  resultSubject,
  runStreamNames,
  workConsumerName,
  workSubject,
} from "@maspo/cluster";
import { startNatsServer } from "../helpers/nats-server.js";
import { type ReportJson, SMALL_SPEC, embeddedReport, exitedWithin, spawnMaspo, tempDir } from "../fixtures/maspo-processes.js";
import { type CaseResult, zero } from "./figures.js";
import { drift, endOf, reachedStep, sleep, startClusterRun } from "./runs.js";

const WORKER_ROLES = ["executor", "evaluator", "mutator"] as const;
const PASSWORDS = Object.fromEntries(MASPO_ROLES.map((role) => [role, `pw-rel-${role}-3f9c`])) as Record<MaspoRole, string>;

type Row = CaseResult["rows"][number];

async function session(url: string, user: string | undefined, password: string | undefined): Promise<NatsSession> {
  return connectNats(user === undefined ? { servers: url } : { servers: url, user, passwordEnv: "P" }, {
    env: { P: password ?? "" },
    readFile: () => Promise.reject(new Error("no files")),
  });
}

/** Whether `attempt` was refused, and what said so. */
async function refusal(attempt: () => Promise<unknown>): Promise<{ refused: boolean; how: string }> {
  try {
    await attempt();
    return { refused: false, how: "allowed" };
  } catch (error) {
    return {
      refused: true,
      how:
        String((error as Error).message ?? error)
          .split("\n")[0]
          ?.slice(0, 160) ?? "",
    };
  }
}

async function roleServer(rows: Row[]): Promise<void> {
  const server = await startNatsServer({
    config: renderRoleAuthorization(MASPO_ROLES.map((role) => ({ role, password: PASSWORDS[role] }))),
  });
  const sessions: NatsSession[] = [];
  try {
    // Unauthenticated and wrong password: a raw client, and the maspo processes.
    for (const [client, user, password] of [
      ["a raw client without credentials", undefined, undefined],
      ["a raw client with a wrong password", "maspo-evaluator", "wrong"],
    ] as const) {
      const r = await refusal(async () => sessions.push(await session(server.url, user, password)));
      rows.push({ group: user === undefined ? "unauthenticated" : "wrong password", client, attempt: "connect", ...r });
    }
    const out = await tempDir("maspo-rel-auth-");
    for (const [client, args, env] of [
      ["maspo worker without credentials", ["worker", "evaluator", "--nats", server.url, "--run", "x"], {}],
      ["maspo run without credentials", ["run", SMALL_SPEC, "--nats", server.url, "--run-id", "x", "--out", out], {}],
      [
        "maspo worker with a wrong password",
        ["worker", "evaluator", "--nats", server.url, "--run", "x", "--user", "maspo-evaluator", "--password-env", "PW"],
        { PW: "wrong" },
      ],
    ] as const) {
      const proc = spawnMaspo(client, [...args], env);
      const { code } = await exitedWithin(proc, 60_000, [proc]).catch(() => ({ code: null }));
      if (code === null) proc.child.kill("SIGKILL");
      const refused = code === 1 && /refused the credentials|E_NATS_AUTH|Authorization/i.test(proc.output());
      rows.push({
        group: client.includes("wrong") ? "wrong password" : "unauthenticated",
        client,
        attempt: "start",
        refused,
        how: refused ? "exit 1: the server refused the credentials" : `exit ${code}: ${proc.output().slice(0, 160)}`,
      });
    }

    // Wrong role: a run's streams and every role's consumer, as the coordinator creates them.
    const runId = "rel-auth-roles";
    const coordinator = await session(server.url, "maspo-coordinator", PASSWORDS.coordinator);
    sessions.push(coordinator);
    const queue = await openJetStreamWorkQueue({ nc: coordinator.nc, runId });
    for (const role of WORKER_ROLES) {
      await coordinator.jsm.consumers.add(runStreamNames(runId).work, {
        durable_name: workConsumerName(role),
        filter_subject: workSubject(runId, role),
        ack_policy: AckPolicy.Explicit,
      });
    }
    for (const role of WORKER_ROLES) {
      const worker = await session(server.url, `maspo-${role}`, PASSWORDS[role]);
      sessions.push(worker);
      const js = jetstream(worker.nc);
      for (const other of WORKER_ROLES.filter((r) => r !== role)) {
        const forged = encode({ v: 1, runId, taskId: `forged-${role}`, role: other, ok: true, payload: {} });
        rows.push({
          group: "wrong role",
          client: `a ${role} worker`,
          attempt: `publish a ${other} result`,
          ...(await refusal(() => js.publish(resultSubject(runId, other), forged))),
        });
        rows.push({
          group: "wrong role",
          client: `a ${role} worker`,
          attempt: `take the ${other} tasks`,
          ...(await refusal(async () =>
            (await js.consumers.get(runStreamNames(runId).work, workConsumerName(other))).next({ expires: 1000 }),
          )),
        });
      }
      rows.push({
        group: "wrong role",
        client: `a ${role} worker`,
        attempt: "submit a task",
        ...(await refusal(() => js.publish(workSubject(runId, role), encode({ v: 1 })))),
      });
      rows.push({
        group: "wrong role",
        client: `a ${role} worker`,
        attempt: "delete the run's work stream",
        ...(await refusal(() => worker.jsm.streams.delete(runStreamNames(runId).work))),
      });
    }
    await queue.close();
  } finally {
    await Promise.all(sessions.map((s) => s.nc.close().catch(() => undefined)));
    await server.dispose();
  }
}

async function accountServer(rows: Row[], reference: ReportJson): Promise<void> {
  const server = await startNatsServer({
    config: [
      "accounts {",
      '  RUNS: { jetstream: enabled, users: [ { user: "maspo", password: "pw-rel-runs" } ] }',
      '  OTHER: { jetstream: enabled, users: [ { user: "other", password: "pw-rel-other" } ] }',
      "}",
    ].join("\n"),
  });
  const auth = ["--user", "maspo", "--password-env", "NATS_PASSWORD"];
  const env = { NATS_PASSWORD: "pw-rel-runs", MASPO_TEST_KEY: "k" };
  const runId = "rel-auth-account";
  const run = await startClusterRun(SMALL_SPEC, server.url, runId, {
    counts: { executor: 1, evaluator: 1, mutator: 1 },
    args: auth,
    workerArgs: auth,
    env,
  });
  const other = await session(server.url, "other", "pw-rel-other");
  try {
    // Everything the other account can see while the run works (before this client sends anything itself).
    let seen = 0;
    const sub = other.nc.subscribe(">", {
      callback: () => {
        seen++;
      },
    });
    await reachedStep(run.coordinator, 2);
    await sleep(500);
    await other.nc.flush();
    sub.unsubscribe();
    const js = jetstream(other.nc);
    rows.push({
      group: "wrong account",
      client: "a client of another account",
      attempt: "read the run's work stream",
      ...(await refusal(() => other.jsm.streams.info(runStreamNames(runId).work))),
    });
    const forged = encode({ v: 1, runId, taskId: "forged", role: "evaluator", ok: true, payload: { forged: true } });
    const published = await refusal(() => js.publish(resultSubject(runId, "evaluator"), forged));
    const resume = spawnMaspo(
      "other-account-resume",
      ["run", SMALL_SPEC, "--nats", server.url, "--resume", runId, "--out", await tempDir(), "--user", "other", "--password-env", "PW"],
      {
        PW: "pw-rel-other",
      },
    );
    const { code } = await exitedWithin(resume, 60_000, [resume]).catch(() => ({ code: null }));
    if (code === null) resume.child.kill("SIGKILL");
    rows.push({
      group: "wrong account",
      client: "maspo run --resume from another account",
      attempt: "resume the run",
      refused: code !== 0 && code !== null && /not on this NATS|E_RUN_NOT_FOUND/.test(resume.output()),
      how:
        resume
          .output()
          .split("\n")
          .find((l) => /not on this NATS|error/i.test(l))
          ?.slice(0, 160) ?? `exit ${code}`,
    });
    const end = await endOf(run.coordinator, run.out, run.workers, 120_000);
    const differs = drift(end.report, reference);
    rows.push({
      group: "wrong account",
      client: "a client of another account",
      attempt: "forge a result into the run",
      refused: end.code === 0 && differs.length === 0,
      how: `${published.refused ? "publish refused" : "published into its own account"}; the run ended ${end.code === 0 ? "unchanged" : `with exit ${end.code}`}${differs.length ? ` (${differs.join(", ")} differ)` : ""}`,
    });
    rows.push({
      group: "wrong account",
      client: "a client of another account",
      attempt: "see the run's messages (subscribed to >)",
      refused: seen === 0,
      how: `${seen} messages seen`,
    });
  } finally {
    await other.nc.close().catch(() => undefined);
    await server.dispose();
  }
}

export interface AuthOptions {
  /** "roles": the per-role server (unauthenticated, wrong password, wrong role); "accounts": the two-account one. Default both. */
  servers?: ("roles" | "accounts")[];
  reference?: ReportJson;
}

export async function measureAuth(options: AuthOptions = {}): Promise<CaseResult> {
  const started = Date.now();
  const servers = options.servers ?? ["roles", "accounts"];
  const rows: Row[] = [];
  if (servers.includes("roles")) await roleServer(rows);
  if (servers.includes("accounts")) await accountServer(rows, options.reference ?? (await embeddedReport(SMALL_SPEC)));
  const admitted = (group: string) => rows.filter((r) => r.group === group && r.refused !== true).length;
  const tried = (group: string) => rows.filter((r) => r.group === group).length;
  return {
    id: "auth",
    title: "auth: unauthenticated, wrong-account and wrong-role clients",
    repeats: rows.length,
    rows,
    seconds: (Date.now() - started) / 1000,
    figures: (
      [
        ["unauthenticated", "unauthenticated clients admitted"],
        ["wrong password", "wrong-password clients admitted"],
        ["wrong account", "wrong-account attempts that reached the run"],
        ["wrong role", "wrong-role actions allowed"],
      ] as const
    )
      .filter(([group]) => tried(group) > 0)
      .map(([group, name]) => zero(`${name} (of ${tried(group)})`, admitted(group))),
  };
}

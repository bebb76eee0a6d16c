/**
 * Per-role NATS permissions (packages/cluster nats/role-permissions.ts, rendered into
 * deploy/nats/maspo-auth.conf): a real nats-server started with one user per role refuses a client
 * without credentials, keeps a worker of one role from publishing another role's results, taking
 * its tasks or submitting tasks, and runs a whole cluster run with the four users.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  MASPO_ROLES,
  connectNats,
  encode,
  openJetStreamWorkQueue,
  renderRoleAuthorization,
  resultSubject,
  runStreamNames,
  workSubject,
  type MaspoRole,
  type NatsSession,
} from "@maspo/cluster";
import { AckPolicy, jetstream } from "@nats-io/jetstream";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "./helpers/nats-server.js";
import {
  type MaspoProcess,
  type ReportJson,
  ROOT,
  SMALL_SPEC,
  embeddedReport,
  exitedWithin,
  outputs,
  readReport,
  removeTempDirs,
  spawnMaspo,
  stopAll,
  tempDir,
} from "./fixtures/maspo-processes.js";

const PASSWORDS = Object.fromEntries(MASPO_ROLES.map((role) => [role, `pw-${role}-5e1c9a`])) as Record<MaspoRole, string>;
let server: NatsServer;
let reference: ReportJson;
const sessions: NatsSession[] = [];
let procs: MaspoProcess[] = [];

beforeAll(async () => {
  [server, reference] = await Promise.all([
    startNatsServer({ config: renderRoleAuthorization(MASPO_ROLES.map((role) => ({ role, password: PASSWORDS[role] }))) }),
    embeddedReport(SMALL_SPEC),
  ]);
}, 60_000);

afterAll(async () => {
  await stopAll(procs);
  await Promise.all(sessions.map((s) => s.nc.close()));
  await server?.dispose();
  await removeTempDirs();
});

async function connectAs(role: MaspoRole): Promise<NatsSession> {
  const session = await connectNats(
    { servers: server.url, user: `maspo-${role}`, passwordEnv: "P" },
    { env: { P: PASSWORDS[role] }, readFile: () => Promise.reject(new Error("no files")) },
  );
  sessions.push(session);
  return session;
}

const auth = (role: MaspoRole): string[] => ["--user", `maspo-${role}`, "--password-env", "MASPO_TEST_NATS_PASSWORD"];
const env = (role: MaspoRole): Record<string, string> => ({ MASPO_TEST_NATS_PASSWORD: PASSWORDS[role] });

describe("per-role NATS permissions", () => {
  it("are what deploy/ holds for compose and Kubernetes (rendered from the one source, passwords from the environment)", async () => {
    const rendered = renderRoleAuthorization();
    const stale = "deploy/ is stale: run `npx tsc -b && node scripts/write-nats-auth.js`";
    expect(await readFile(join(ROOT, "deploy/nats/maspo-auth.conf"), "utf8"), stale).toBe(rendered);
    const manifests = parseAllDocuments(await readFile(join(ROOT, "deploy/kubernetes/nats.yaml"), "utf8")).map(
      (d) => d.toJS() as { kind?: string; data?: Record<string, string> },
    );
    const config = manifests.find((m) => m.kind === "ConfigMap")?.data;
    expect(config?.["maspo-auth.conf"], stale).toBe(rendered);
    expect(config?.["nats.conf"]).toContain("include ./maspo-auth.conf");
  });

  it("refuse a client that brings no credentials", async () => {
    const err = await connectNats({ servers: server.url }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe("E_NATS_AUTH");
  });

  it("keep an executor from publishing an evaluator's result, taking the evaluator's tasks or submitting a task, not from its own work", async () => {
    const runId = "perm-roles";
    const coordinator = await connectAs("coordinator");
    const queue = await openJetStreamWorkQueue({ nc: coordinator.nc, runId });
    await coordinator.jsm.consumers.add(runStreamNames(runId).work, {
      durable_name: "maspo-evaluator",
      filter_subject: workSubject(runId, "evaluator"),
      ack_policy: AckPolicy.Explicit,
    });
    const executor = await connectAs("executor");
    const js = jetstream(executor.nc);
    const forged = encode({ v: 1, runId, taskId: "t1", role: "evaluator", ok: true, payload: {} });

    await expect(js.publish(resultSubject(runId, "evaluator"), forged)).rejects.toThrow(
      /Permissions Violation for Publish to "maspo\.perm-roles\.result\.evaluator"/,
    );
    await expect(js.consumers.get(runStreamNames(runId).work, "maspo-evaluator")).rejects.toThrow(/Permissions Violation/);
    await expect(js.publish(workSubject(runId, "evaluator"), encode({}))).rejects.toThrow(/Permissions Violation/);
    // Its own role's result subject is open to it: the refusals above are the permissions, not a broken client.
    await expect(js.publish(resultSubject(runId, "executor"), encode({}))).resolves.toMatchObject({
      stream: runStreamNames(runId).results,
    });
    expect((await coordinator.jsm.streams.info(runStreamNames(runId).results)).state.messages).toBe(1);
    await queue.close();
  });

  it.each([
    ["workers of the run (--run)", true],
    ["pool workers, serving every run", false],
  ])(
    "run a whole cluster run with one user per role, as the embedded run does: %s",
    async (_, ofTheRun) => {
      const runId = ofTheRun ? "perm-run" : "perm-pool";
      procs = (["executor", "evaluator", "mutator"] as const).map((role) =>
        spawnMaspo(
          role,
          ["worker", role, "--nats", server.url, ...(ofTheRun ? ["--run", runId] : []), "--concurrency", "4", ...auth(role)],
          env(role),
        ),
      );
      const out = await tempDir();
      const coordinator = spawnMaspo(
        "coordinator",
        ["run", SMALL_SPEC, "--nats", server.url, "--run-id", runId, "--out", out, ...auth("coordinator")],
        env("coordinator"),
      );
      procs.push(coordinator);
      expect((await exitedWithin(coordinator, 100_000, procs)).code, outputs(procs)).toBe(0);
      const report = await readReport(out);
      expect(report.finalPrompts).toEqual(reference.finalPrompts);
      expect(report.delta.heldOut).toEqual(reference.delta.heldOut);
      await stopAll(procs);
      expect(outputs(procs)).not.toMatch(/Permissions Violation/i);
    },
    120_000,
  );
});

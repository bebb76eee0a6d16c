/**
 * Connecting to real nats-servers: credentials from env/files accepted, an unauthenticated client
 * refused with a clear error, and a server without JetStream refused by the compatibility check.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { connectNats, NatsConnectError, openJetStreamWorkQueue, ServerCompatError } from "@maspo/cluster";
import { startNatsServer, type NatsServer } from "./helpers/nats-server.js";

describe("NATS connection and server checks", () => {
  let withPassword: NatsServer;
  let withToken: NatsServer;
  let withoutJetStream: NatsServer;
  let secretsDir: string;

  beforeAll(async () => {
    [withPassword, withToken, withoutJetStream] = await Promise.all([
      startNatsServer({ auth: { user: "maspo", password: "s3cret-pw" } }),
      startNatsServer({ auth: { token: "t0ken-value" } }),
      startNatsServer({ jetstream: false }),
    ]);
    secretsDir = await mkdtemp(join(tmpdir(), "maspo-secrets-"));
  });

  afterAll(async () => {
    await Promise.all([withPassword.dispose(), withToken.dispose(), withoutJetStream.dispose()]);
    await rm(secretsDir, { recursive: true, force: true });
  });

  test("a client without credentials is refused with E_NATS_AUTH and an actionable message", async () => {
    const err = await connectNats({ servers: withPassword.url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NatsConnectError);
    expect((err as NatsConnectError).code).toBe("E_NATS_AUTH");
    expect((err as NatsConnectError).message).toMatch(/refused the credentials/);
  });

  test("a wrong password is refused and the error does not contain the password tried", async () => {
    const err = await connectNats(
      { servers: withPassword.url, user: "maspo", passwordEnv: "MASPO_TEST_PW" },
      { env: { MASPO_TEST_PW: "wrong-guess-pw" }, readFile: () => Promise.reject(new Error("unused")) },
    ).catch((e: unknown) => e);
    expect((err as NatsConnectError).code).toBe("E_NATS_AUTH");
    expect(String((err as Error).message)).not.toContain("wrong-guess-pw");
  });

  test("user and password from an environment variable connect and pass the JetStream check", async () => {
    const session = await connectNats(
      { servers: withPassword.url, user: "maspo", passwordEnv: "MASPO_TEST_PW" },
      { env: { MASPO_TEST_PW: "s3cret-pw" }, readFile: () => Promise.reject(new Error("unused")) },
    );
    try {
      expect(session.server.version).toMatch(/^2\./);
      expect(session.description).toContain("user maspo");
      expect(session.description).not.toContain("s3cret-pw");
    } finally {
      await session.nc.close();
    }
  });

  test("a token read from a file connects", async () => {
    const tokenFile = join(secretsDir, "token");
    await writeFile(tokenFile, "t0ken-value\n");
    const session = await connectNats({ servers: withToken.url, tokenFile });
    await session.nc.close();
    expect(session.description).toBe(`nats ${withToken.url} (token from file ${tokenFile})`);
  });

  test("a server with JetStream off is refused with E_NATS_SERVER naming JetStream and the fix", async () => {
    const err = await connectNats({ servers: withoutJetStream.url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerCompatError);
    expect((err as ServerCompatError).message).toMatch(/JetStream off.*-js/);
  });

  test("opening a JetStream work queue on a server with JetStream off is refused the same way", async () => {
    const nc = await connect({ servers: withoutJetStream.url });
    try {
      await expect(openJetStreamWorkQueue({ nc, runId: "r" })).rejects.toBeInstanceOf(ServerCompatError);
    } finally {
      await nc.close();
    }
  });
});

import { describe, expect, test } from "vitest";
import { ValidationError } from "@maspo/core";
import { buildConnectionOptions, describeConnection, type SecretSources } from "./connection-options.js";

const files: Record<string, string> = {
  "/secrets/pw": "file-pw\n",
  "/secrets/seed": "SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4\n",
};
const sources = (env: Record<string, string> = {}): SecretSources => ({
  env,
  readFile: (path) => {
    const content = files[path];
    if (content === undefined) return Promise.reject(Object.assign(new Error("nope"), { code: "ENOENT" }));
    return Promise.resolve(new TextEncoder().encode(content));
  },
});

describe("NATS connection options", () => {
  test("servers and a password from the environment become connect options that always reconnect", async () => {
    const opts = await buildConnectionOptions(
      { servers: "nats://a:4222, nats://b:4222", user: "w", passwordEnv: "PW" },
      sources({ PW: "env-pw" }),
    );
    expect(opts).toMatchObject({
      servers: ["nats://a:4222", "nats://b:4222"],
      user: "w",
      pass: "env-pw",
      reconnect: true,
      maxReconnectAttempts: -1,
    });
  });

  test("a password file is read and trimmed", async () => {
    const opts = await buildConnectionOptions({ servers: "nats://a:4222", user: "w", passwordFile: "/secrets/pw" }, sources());
    expect(opts.pass).toBe("file-pw");
  });

  test("an NKey seed file becomes an authenticator and TLS files are passed through", async () => {
    const opts = await buildConnectionOptions(
      { servers: "tls://a:4222", nkeySeedFile: "/secrets/seed", tlsCaFile: "/ca.pem", tlsCertFile: "/c.pem", tlsKeyFile: "/k.pem" },
      sources(),
    );
    expect(typeof opts.authenticator).toBe("function");
    expect(opts.tls).toEqual({ caFile: "/ca.pem", certFile: "/c.pem", keyFile: "/k.pem" });
  });

  test("every problem is reported at once: conflicting auth, unset env var, missing file, half a client cert", async () => {
    const err = await buildConnectionOptions(
      { servers: "nats://a:4222", user: "w", passwordEnv: "UNSET", tokenFile: "/missing", tlsCertFile: "/c.pem" },
      sources(),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const issues = (err as ValidationError).issues;
    expect(issues.map((i) => i.path).sort()).toEqual(["(root)", "passwordEnv/passwordFile", "tlsKeyFile", "tokenEnv/tokenFile"]);
    expect(issues.find((i) => i.path === "tokenEnv/tokenFile")?.found).toBe("ENOENT");
  });

  test("a malformed server URL is refused without echoing credentials in it", async () => {
    const err = await buildConnectionOptions({ servers: "http://u:pw@a:4222" }, sources()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).not.toContain("pw@");
  });

  test("the loggable description names the auth method and its source but never a secret", () => {
    const text = describeConnection({ servers: "nats://u:hunter2@a:4222", user: "w", passwordEnv: "PW" });
    expect(text).toBe("nats nats://***@a:4222 (user w (password from $PW))");
    expect(text).not.toContain("hunter2");
  });
});

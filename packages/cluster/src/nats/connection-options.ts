/**
 * NATS connection options from CLI-style settings. Secrets (password, token, NKey seed, creds) are
 * read from files or named environment variables, never taken literally on a command line (where
 * `ps` would show them), and never logged: describeConnection() is the loggable form.
 */
import { readFile } from "node:fs/promises";
import { credsAuthenticator, nkeyAuthenticator, type NodeConnectionOptions } from "@nats-io/transport-node";
import { z } from "zod";
import { ValidationError, type Issue } from "@maspo/core";
import { validate } from "../codec.js";

export const NatsAuthOptionsSchema = z.object({
  /** One or more servers, e.g. `nats://host:4222`; a comma-separated string is split. */
  servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** Client name shown by the server (monitoring, logs). */
  name: z.string().min(1).optional(),
  user: z.string().min(1).optional(),
  passwordEnv: z.string().min(1).optional(),
  passwordFile: z.string().min(1).optional(),
  tokenEnv: z.string().min(1).optional(),
  tokenFile: z.string().min(1).optional(),
  /** A `.creds` file (JWT + NKey seed), as issued by nsc. */
  credsFile: z.string().min(1).optional(),
  /** A file holding an NKey user seed (`SU...`). */
  nkeySeedFile: z.string().min(1).optional(),
  tlsCaFile: z.string().min(1).optional(),
  tlsCertFile: z.string().min(1).optional(),
  tlsKeyFile: z.string().min(1).optional(),
});
export type NatsAuthOptions = z.infer<typeof NatsAuthOptionsSchema>;

export interface SecretSources {
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => Promise<Uint8Array>;
}

const defaultSources: SecretSources = { env: process.env, readFile: (path) => readFile(path) };

/** Options for `connect()`, with every problem in `input` reported at once as a ValidationError. */
export async function buildConnectionOptions(input: unknown, sources: SecretSources = defaultSources): Promise<NodeConnectionOptions> {
  const opts = validate(NatsAuthOptionsSchema, input, "NATS connection options");
  const issues = combinationIssues(opts);
  const servers = serverList(opts.servers);
  servers.forEach((server, i) => {
    if (!/^(nats|tls|ws|wss):\/\/[^\s/]+(:\d+)?\/?$|^[^\s:/]+(:\d+)?$/.test(server)) {
      issues.push({
        path: `servers[${i}]`,
        expected: "nats://host:port, tls://host:port or host:port",
        found: JSON.stringify(redactUrl(server)),
      });
    }
  });

  const secret = async (path: string, env: string | undefined, file: string | undefined): Promise<string | undefined> => {
    if (env !== undefined) {
      const value = sources.env[env];
      if (value === undefined || value === "") {
        issues.push({ path, expected: `environment variable ${env} to be set`, found: "it unset or empty" });
      }
      return value;
    }
    if (file !== undefined) {
      const bytes = await readSecretFile(path, file, sources, issues);
      return bytes === undefined ? undefined : new TextDecoder().decode(bytes).trim();
    }
    return undefined;
  };

  const password = await secret("passwordEnv/passwordFile", opts.passwordEnv, opts.passwordFile);
  const token = await secret("tokenEnv/tokenFile", opts.tokenEnv, opts.tokenFile);
  const creds = opts.credsFile ? await readSecretFile("credsFile", opts.credsFile, sources, issues) : undefined;
  const seed = opts.nkeySeedFile ? await readSecretFile("nkeySeedFile", opts.nkeySeedFile, sources, issues) : undefined;
  if (issues.length > 0) throw new ValidationError("NATS connection options", issues);

  const options: NodeConnectionOptions = {
    servers,
    // A worker outlives server restarts: keep reconnecting, never give up on its own.
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  };
  if (opts.name) options.name = opts.name;
  if (opts.user !== undefined) {
    options.user = opts.user;
    options.pass = password;
  }
  if (token !== undefined) options.token = token;
  if (creds) options.authenticator = credsAuthenticator(creds);
  if (seed) options.authenticator = nkeyAuthenticator(new TextEncoder().encode(new TextDecoder().decode(seed).trim()));
  if (opts.tlsCaFile || opts.tlsCertFile || opts.tlsKeyFile) {
    options.tls = {
      ...(opts.tlsCaFile ? { caFile: opts.tlsCaFile } : {}),
      ...(opts.tlsCertFile ? { certFile: opts.tlsCertFile } : {}),
      ...(opts.tlsKeyFile ? { keyFile: opts.tlsKeyFile } : {}),
    };
  }
  return options;
}

/** A one-line description for logs: servers without credentials, and which auth is used, never its secret. */
export function describeConnection(input: NatsAuthOptions): string {
  const servers = serverList(input.servers).map(redactUrl).join(",");
  const auth = input.credsFile
    ? `creds file ${input.credsFile}`
    : input.nkeySeedFile
      ? `nkey seed file ${input.nkeySeedFile}`
      : input.user
        ? `user ${input.user} (password from ${input.passwordEnv ? `$${input.passwordEnv}` : `file ${input.passwordFile}`})`
        : input.tokenEnv || input.tokenFile
          ? `token from ${input.tokenEnv ? `$${input.tokenEnv}` : `file ${input.tokenFile}`}`
          : "no auth";
  const tls = input.tlsCaFile || input.tlsCertFile ? ", tls" : "";
  return `nats ${servers} (${auth}${tls})`;
}

function serverList(servers: string | readonly string[]): string[] {
  const list = typeof servers === "string" ? servers.split(",") : [...servers];
  return list.map((s) => s.trim()).filter((s) => s !== "");
}

/** Strips `user:pass@` from a URL: credentials in a server URL must not reach a log line. */
function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^@/]*@/i, "$1***@");
}

function combinationIssues(opts: NatsAuthOptions): Issue[] {
  const issues: Issue[] = [];
  const methods = [
    opts.user !== undefined ? "user" : undefined,
    opts.tokenEnv !== undefined || opts.tokenFile !== undefined ? "token" : undefined,
    opts.credsFile !== undefined ? "credsFile" : undefined,
    opts.nkeySeedFile !== undefined ? "nkeySeedFile" : undefined,
  ].filter((m): m is string => m !== undefined);
  if (methods.length > 1) {
    issues.push({ path: "(root)", expected: "at most one auth method", found: methods.join(" + "), hint: "pick one" });
  }
  const hasPassword = opts.passwordEnv !== undefined || opts.passwordFile !== undefined;
  if (opts.user !== undefined && !hasPassword) {
    issues.push({ path: "passwordEnv/passwordFile", expected: "a password source for the user", found: "none" });
  }
  if (opts.user === undefined && hasPassword) {
    issues.push({ path: "user", expected: "a user name for the password", found: "none" });
  }
  if (opts.passwordEnv !== undefined && opts.passwordFile !== undefined) {
    issues.push({ path: "passwordEnv/passwordFile", expected: "one password source", found: "both" });
  }
  if (opts.tokenEnv !== undefined && opts.tokenFile !== undefined) {
    issues.push({ path: "tokenEnv/tokenFile", expected: "one token source", found: "both" });
  }
  if ((opts.tlsCertFile === undefined) !== (opts.tlsKeyFile === undefined)) {
    issues.push({
      path: opts.tlsCertFile === undefined ? "tlsCertFile" : "tlsKeyFile",
      expected: "a client certificate and its key together",
      found: "only one of them",
    });
  }
  return issues;
}

async function readSecretFile(path: string, file: string, sources: SecretSources, issues: Issue[]): Promise<Uint8Array | undefined> {
  try {
    return await sources.readFile(file);
  } catch (err) {
    const code = typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : "error";
    issues.push({ path, expected: `a readable file at ${file}`, found: code });
    return undefined;
  }
}

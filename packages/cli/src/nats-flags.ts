/**
 * The NATS connection flags every cluster process takes (`maspo run --nats`, `maspo worker`), and
 * `--metrics-port`. Secrets are named, never given: a password or token comes from an environment
 * variable or a file, an NKey seed and a creds file by path, so no secret shows in `ps` or shell history.
 */
import { type NatsAuthOptions } from "@maspo/cluster";
import { type Issue, RunIdSchema, ValidationError, parseDuration } from "@maspo/core";
import { type Command, InvalidArgumentError } from "commander";

export interface NatsFlags {
  nats?: string;
  user?: string;
  passwordEnv?: string;
  passwordFile?: string;
  tokenEnv?: string;
  tokenFile?: string;
  creds?: string;
  nkey?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** A server as it may be shown: credentials in it (never printed) replaced by `***`. */
const shown = (server: string) => server.replace(/\/\/[^@/]*@/, "//***@");

/**
 * Every problem of a `--nats` value, one per server: not a URL, not a NATS protocol, or credentials
 * in the URL. Those are refused rather than used: a URL on the command line shows in `ps` and shell
 * history (the NATS client ignored them anyway), and the auth flags read secrets from a variable or
 * a file instead. No credential is ever repeated in a message.
 */
export function natsUrlIssues(raw: string, flag = "--nats"): Issue[] {
  const issues: Issue[] = [];
  for (const server of raw.split(",").map((s) => s.trim())) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      issues.push({ path: flag, expected: "a NATS URL like nats://127.0.0.1:4222", found: JSON.stringify(shown(server)) });
      continue;
    }
    if (!["nats:", "tls:", "ws:", "wss:"].includes(url.protocol)) {
      issues.push({ path: flag, expected: "a nats://, tls://, ws:// or wss:// URL", found: `"${url.protocol}//${url.host}"` });
    }
    if (url.username !== "" || url.password !== "") {
      issues.push({
        path: flag,
        expected: "a NATS URL without credentials: a URL on the command line shows in `ps` and shell history",
        found: `credentials in "${url.protocol}//***@${url.host}" (not shown)`,
        hint: "give them with --user and --password-env or --password-file, --token-env or --token-file, --creds or --nkey",
      });
    }
  }
  return issues;
}

/** `--nats` as an option parser: the value, or a ValidationError with every problem of it (exit 2). */
export function natsUrl(raw: string): string {
  const issues = natsUrlIssues(raw);
  if (issues.length > 0) throw new ValidationError("--nats", issues);
  return raw;
}

/** The problem with a run id given as `flag` (`--run-id`, `--resume`), if any: checked before anything connects. */
export function runIdIssue(value: string, flag: string): Issue | undefined {
  if (RunIdSchema.safeParse(value).success) return undefined;
  return {
    path: flag,
    expected: "a run id of 1-64 letters, digits, '_' or '-' (as `maspo run --nats` prints it)",
    found: JSON.stringify(value),
  };
}

/** Adds the auth and TLS flags (not --nats itself, whose wording differs per command). */
export function addNatsAuthOptions(command: Command): Command {
  return command
    .option("--user <name>", "NATS user (with --password-env or --password-file)")
    .option("--password-env <VAR>", "environment variable holding the NATS password")
    .option("--password-file <file>", "file holding the NATS password")
    .option("--token-env <VAR>", "environment variable holding the NATS token")
    .option("--token-file <file>", "file holding the NATS token")
    .option("--creds <file>", "NATS .creds file (JWT and NKey seed, as issued by nsc)")
    .option("--nkey <seedfile>", "file holding an NKey user seed (SU...)")
    .option("--tls-ca <file>", "CA certificate to verify the NATS server with")
    .option("--tls-cert <file>", "client certificate for mutual TLS (with --tls-key)")
    .option("--tls-key <file>", "client certificate key for mutual TLS (with --tls-cert)");
}

export function natsAuthOf(flags: NatsFlags & { nats: string }): NatsAuthOptions {
  const pick = <K extends keyof NatsAuthOptions>(key: K, value: NatsAuthOptions[K] | undefined) =>
    value === undefined ? {} : { [key]: value };
  return {
    servers: flags.nats,
    ...pick("user", flags.user),
    ...pick("passwordEnv", flags.passwordEnv),
    ...pick("passwordFile", flags.passwordFile),
    ...pick("tokenEnv", flags.tokenEnv),
    ...pick("tokenFile", flags.tokenFile),
    ...pick("credsFile", flags.creds),
    ...pick("nkeySeedFile", flags.nkey),
    ...pick("tlsCaFile", flags.tlsCa),
    ...pick("tlsCertFile", flags.tlsCert),
    ...pick("tlsKeyFile", flags.tlsKey),
  };
}

/** `--metrics-port`: 0 (the default) serves no metrics, `auto` a free port, else that port. */
import type { MetricsPort } from "@maspo/run";
export type { MetricsPort };

export function metricsPort(raw: string): MetricsPort {
  if (raw === "auto") return "auto";
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`expected a port number (0 for none, or "auto" for a free one), found "${raw}"`);
  }
  return port;
}

export const METRICS_PORT_HELP = 'serve Prometheus metrics on this port at /metrics (0: off, the default; "auto": a free port, printed)';

/** `--metrics-linger`: a duration such as 30s or 2m (at most an hour). */
export function metricsLinger(raw: string): number {
  const ms = parseDuration(raw);
  if (ms === undefined || ms < 0 || ms > 3_600_000) {
    throw new InvalidArgumentError(`expected a duration of at most 1h, such as 30s or 2m (--metrics-linger), found "${raw}"`);
  }
  return ms;
}

export const METRICS_LINGER_HELP =
  "with --metrics-port: keep serving /metrics this long once done (or failed), so Prometheus scrapes how it ended (default: 0s)";

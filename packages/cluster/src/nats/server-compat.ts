/**
 * Checks, right after connecting, that the NATS server can do what maspo relies on: JetStream on,
 * and a version with every feature used (work-queue streams, durable pull consumers created by
 * name, KV compare-and-swap, nak with delay: all 2.9.0). Newer-only features (per-message TTL,
 * filter_subjects, priority groups, consumer pause) are deliberately not used.
 */
import { jetstreamManager, JetStreamApiError, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection, ServerInfo } from "@nats-io/transport-node";
import { MaspoError } from "@maspo/core";

export const MIN_SERVER_VERSION = "2.9.0";
const FEATURES_NEEDING_MIN = "work-queue streams with durable pull consumers created by name, KV compare-and-swap, nak with delay";

export class ServerCompatError extends MaspoError<"E_NATS_SERVER"> {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_NATS_SERVER", message, options);
  }
}

export interface ServerSupport {
  version: string;
  serverName: string;
  maxPayload: number;
}

/** Pure check of a server's INFO; throws ServerCompatError naming what is missing and how to fix it. */
export function checkServerInfo(info: ServerInfo | undefined): ServerSupport {
  if (!info) throw new ServerCompatError("no server INFO received: connect before checking the server");
  const where = `nats-server ${info.version} (${info.server_name || info.server_id} at ${info.host}:${info.port})`;
  const parsed = parseVersion(info.version);
  const min = parseVersion(MIN_SERVER_VERSION);
  if (!parsed || !min || compareVersions(parsed, min) < 0) {
    throw new ServerCompatError(
      `${where} is too old: maspo needs nats-server ${MIN_SERVER_VERSION} or newer for ${FEATURES_NEEDING_MIN}; upgrade the server`,
    );
  }
  if (!info.jetstream) {
    throw new ServerCompatError(
      `${where} has JetStream off: maspo's cluster mode keeps work, results, checkpoints and the response cache in JetStream; start the server with -js or add "jetstream {}" to its config`,
    );
  }
  return { version: info.version, serverName: info.server_name, maxPayload: info.max_payload };
}

/** Checks the connected server and that JetStream answers for this account; returns a manager. */
export async function ensureServerCompat(nc: NatsConnection): Promise<{ support: ServerSupport; jsm: JetStreamManager }> {
  const support = checkServerInfo(nc.info);
  try {
    const jsm = await jetstreamManager(nc);
    return { support, jsm };
  } catch (err) {
    const detail = err instanceof JetStreamApiError ? ` (server said: ${err.message})` : ` (${String(err)})`;
    throw new ServerCompatError(
      `nats-server ${support.version} is up but JetStream does not answer for this account${detail}; enable JetStream for the account in the server config`,
      { cause: err },
    );
  }
}

function parseVersion(version: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Connecting a maspo process to NATS: options from CLI-style settings, a clear error when the server
 * refuses us or is unreachable, and the server compatibility check before any work starts.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { validate } from "../codec.js";
import { MaspoError } from "@maspo/core";
import {
  buildConnectionOptions,
  describeConnection,
  NatsAuthOptionsSchema,
  type NatsAuthOptions,
  type SecretSources,
} from "./connection-options.js";
import { ensureServerCompat, type ServerSupport } from "./server-compat.js";

export class NatsConnectError extends MaspoError<"E_NATS_AUTH" | "E_NATS_CONNECT"> {}

export interface NatsSession {
  nc: NatsConnection;
  jsm: JetStreamManager;
  server: ServerSupport;
  /** Loggable description of the connection (no secrets). */
  description: string;
}

export async function connectNats(input: NatsAuthOptions, sources?: SecretSources): Promise<NatsSession> {
  const opts = validate(NatsAuthOptionsSchema, input, "NATS connection options");
  const description = describeConnection(opts);
  const options = await buildConnectionOptions(opts, sources);
  let nc: NatsConnection;
  try {
    nc = await connect(options);
  } catch (err) {
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (/auth|authorization|permission/i.test(text)) {
      throw new NatsConnectError(
        "E_NATS_AUTH",
        `${description}: the server refused the credentials (${text}); check the user/password, token, NKey or creds file`,
        { cause: err },
      );
    }
    throw new NatsConnectError("E_NATS_CONNECT", `${description}: cannot connect (${text}); is the server running and reachable?`, {
      cause: err,
    });
  }
  try {
    const { support, jsm } = await ensureServerCompat(nc);
    return { nc, jsm, server: support, description };
  } catch (err) {
    await nc.close();
    throw err;
  }
}

/** Test fixture: a server's INFO as nats-server 2.9.10 sends it to a client, with fields overridden. */
import type { ServerInfo } from "@nats-io/transport-node";

export const serverInfo = (over: Partial<ServerInfo> = {}): ServerInfo =>
  ({
    server_id: "id",
    server_name: "n1",
    version: "2.9.10",
    go: "go",
    host: "127.0.0.1",
    port: 4222,
    headers: true,
    max_payload: 1048576,
    jetstream: true,
    client_id: 1,
    proto: 1,
    ...over,
  }) as ServerInfo;

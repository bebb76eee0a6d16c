import type { ServerInfo } from "@nats-io/transport-node";
import { describe, expect, test } from "vitest";
import { checkServerInfo, ServerCompatError } from "./server-compat.js";

const info = (over: Partial<ServerInfo>): ServerInfo =>
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

describe("server compatibility", () => {
  test("nats-server 2.9.10 with JetStream is accepted, and its max payload reported", () => {
    expect(checkServerInfo(info({}))).toEqual({ version: "2.9.10", serverName: "n1", maxPayload: 1048576 });
  });

  test("a server older than 2.9.0 is refused naming the version needed and the features", () => {
    expect(() => checkServerInfo(info({ version: "2.8.4" }))).toThrow(ServerCompatError);
    expect(() => checkServerInfo(info({ version: "2.8.4" }))).toThrow(/needs nats-server 2\.9\.0 or newer for work-queue streams/);
  });

  test("a server with JetStream off is refused with how to turn it on", () => {
    expect(() => checkServerInfo(info({ jetstream: false }))).toThrow(/JetStream off.*-js/);
  });

  test("newer servers are accepted", () => {
    expect(checkServerInfo(info({ version: "2.11.0-beta.1" })).version).toBe("2.11.0-beta.1");
  });
});

import { describe, expect, test } from "vitest";
import { checkServerInfo, ServerCompatError } from "./server-compat.js";
import { serverInfo } from "./server-info.fixture.js";

const info = serverInfo;

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

/**
 * How the worker-kill case tells the killed worker's calls from everyone else's: a process's TCP
 * connections read from /proc, and the repeat rule that excuses only the calls in flight at the kill.
 */
import { spawn } from "node:child_process";
import { createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { repeatsAroundKill } from "./reliability/figures.js";
import { tcpPortsTo } from "./reliability/victim-sockets.js";

describe("the killed worker's connections", () => {
  it("are the local ports of exactly that process's connections to the server", async () => {
    const seen: Socket[] = [];
    const server = createServer((socket) => seen.push(socket));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const port = (server.address() as { port: number }).port;
    const child = spawn(process.execPath, [
      "-e",
      `const s = require("node:net").connect(${port}, "127.0.0.1", () => console.log("connected")); setInterval(() => {}, 1000);`,
    ]);
    try {
      await new Promise<void>((ok) => child.stdout.once("data", () => ok()));
      while (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
      const ports = tcpPortsTo(child.pid, port);
      expect([...ports]).toEqual([seen[0]?.remotePort]);
      // This process holds the server's side of that connection, not a client's: none of its ports.
      expect(tcpPortsTo(process.pid, port).size).toBe(0);
    } finally {
      child.kill("SIGKILL");
      for (const s of seen) s.destroy();
      await new Promise((ok) => server.close(ok));
    }
  });
});

describe("repeats around a kill", () => {
  const killedAt = 1_000;
  const victim = { ports: new Set([5001]), until: killedAt + 2_000 };
  /** Each body's asks as (time, client port) pairs. */
  const asked = (body: string, ...asks: [number, number][]) => new Map([[body, asks.map(([at, port]) => ({ at, port }))]]);

  it("counts a body the victim sent that reached the endpoint after the kill, then asked again, as in flight", () => {
    const asks = asked("late", [1_005, 5001], [3_200, 6001]);
    expect(repeatsAroundKill(asks, killedAt, new Set(), victim)).toMatchObject({ inFlight: 1, other: 0, sentBeforeKillArrivedAfter: 1 });
    // Without telling who asked, the same asks break the bound.
    expect(repeatsAroundKill(asks, killedAt)).toMatchObject({ inFlight: 0, other: 1 });
  });

  it("counts a body two live workers asked after the kill as a repeat that breaks the bound, and says when it came", () => {
    const asks = asked("dup", [1_500, 6001], [1_520, 6002]);
    const split = repeatsAroundKill(asks, killedAt, new Set(), victim);
    expect(split).toMatchObject({ inFlight: 0, other: 1 });
    expect(split.others[0]).toContain("500 ms from port 6001");
  });

  it("takes an ask from a victim's port long after the kill for a live process's (the port reused), not the victim's", () => {
    const asks = asked("reused", [4_000, 5001], [4_100, 6001]);
    expect(repeatsAroundKill(asks, killedAt, new Set(), victim)).toMatchObject({ inFlight: 0, other: 1 });
  });

  it("excuses only one repeat per body: a third ask breaks the bound", () => {
    const asks = asked("thrice", [900, 5001], [1_100, 6001], [1_200, 6002]);
    expect(repeatsAroundKill(asks, killedAt, new Set(), victim)).toMatchObject({ inFlight: 1, other: 1 });
  });
});

/**
 * Which TCP ports a process is using to talk to a server, read from Linux's /proc just before the
 * process is killed: the endpoint can then tell the killed worker's asks from everyone else's.
 *
 * Why it is needed: a request the victim sent just before it died may reach the endpoint after the
 * kill (the endpoint runs in the test process, whose event loop lags under load) and be answered in
 * full into a socket nobody reads. It is neither abandoned nor asked before the kill, yet it was the
 * victim's call in flight, and its task's redelivery rightly asks it again.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** The local ports of `pid`'s TCP connections to `serverPort` on this host; empty if /proc cannot be read. */
export function tcpPortsTo(pid: number | undefined, serverPort: number): Set<number> {
  const ports = new Set<number>();
  if (pid === undefined) return ports;
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const target = safeReadlink(`/proc/${pid}/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target ?? "")?.[1];
      if (inode) inodes.add(inode);
    }
  } catch {
    return ports; // the process is gone, or this is not Linux: no attribution, the other rules still hold
  }
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
      const cols = line.trim().split(/\s+/);
      const [local, remote, inode] = [cols[1], cols[2], cols[9]];
      if (!local || !remote || !inode || !inodes.has(inode)) continue;
      if (portOf(remote) === serverPort) ports.add(portOf(local));
    }
  }
  return ports;
}

function portOf(address: string): number {
  return Number.parseInt(address.slice(address.lastIndexOf(":") + 1), 16);
}

function safeReadlink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined; // an fd closed while we listed them
  }
}

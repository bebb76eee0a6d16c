/**
 * A real nats-server for tests: free ports (`-1`), a temp JetStream store dir, optional auth,
 * and stop/kill/restart on the same ports and store so tests can prove nothing is lost.
 * Cluster tests of every package use this; there is no mock NATS anywhere.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { NATS_SERVER_PATHS as CANDIDATES } from "../setup/system-tools.js";

export interface NatsServerOptions {
  /** Default true. False starts a server without JetStream (to test the refusal). */
  jetstream?: boolean;
  auth?: { user: string; password: string } | { token: string };
  /** More nats-server config, appended as is (e.g. `max_payload: 4096`, an `authorization` block of users). */
  config?: string;
}

export interface NatsServer {
  /** `nats://127.0.0.1:<port>`, without credentials. */
  readonly url: string;
  readonly port: number;
  readonly monitorPort: number;
  readonly storeDir: string;
  readonly pid: number;
  /** True while its process is up. */
  running(): boolean;
  /** SIGTERM and wait for exit (JetStream state flushed). */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** Start again on the same ports and store dir (stopping it first if running). */
  restart(): Promise<void>;
  /** Stop if running and delete the temp dirs. */
  dispose(): Promise<void>;
}

export function natsServerBinary(): string {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `nats-server not found (looked in ${CANDIDATES.join(", ")}); install it (apt-get install nats-server) — cluster tests need a real server`,
    );
  }
  return found;
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = natsServerBinary();
  const root = await mkdtemp(join(tmpdir(), "maspo-nats-"));
  const storeDir = join(root, "store");
  const portsDir = join(root, "ports");
  const confPath = join(root, "server.conf");

  const confFor = (port: number | -1, monitorPort: number | -1): string => {
    const lines = [
      `listen: "127.0.0.1:${port}"`,
      `http: "127.0.0.1:${monitorPort}"`,
      `ports_file_dir: ${JSON.stringify(portsDir)}`,
      `server_name: maspo_test_${Date.now().toString(36)}`,
    ];
    if (options.jetstream !== false) lines.push(`jetstream { store_dir: ${JSON.stringify(storeDir)} }`);
    if (options.auth && "token" in options.auth) {
      lines.push(`authorization { token: ${JSON.stringify(options.auth.token)} }`);
    } else if (options.auth) {
      lines.push(`authorization { user: ${JSON.stringify(options.auth.user)}, password: ${JSON.stringify(options.auth.password)} }`);
    }
    if (options.config !== undefined) lines.push(options.config);
    return `${lines.join("\n")}\n`;
  };

  await mkdir(portsDir, { recursive: true });
  await writeFile(confPath, confFor(-1, -1));
  const proc = await launch(binary, confPath);
  const ports = await readPorts(portsDir, proc);
  const port = ports.nats;
  const monitorPort = ports.monitoring;
  // Restarts must come back on the same ports, so pin them now.
  await writeFile(confPath, confFor(port, monitorPort));
  return managedServer(binary, confPath, root, { port, monitorPort, storeDir }, proc);
}

/** A server on `confPath` (its ports pinned there), launched unless `launched` is its running process. */
async function managedServer(
  binary: string,
  confPath: string,
  root: string,
  where: { port: number; monitorPort: number; storeDir: string },
  launched?: Launched,
): Promise<NatsServer> {
  const { port, monitorPort, storeDir } = where;
  let proc = launched ?? (await launch(binary, confPath));
  await waitHealthy(monitorPort, proc);

  const running = (): boolean => proc.exitCode === null && proc.signalCode === null;
  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    if (!running()) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill(signal);
    await exited;
  };

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    monitorPort,
    storeDir,
    get pid() {
      return proc.pid ?? -1;
    },
    running,
    stop: () => terminate("SIGTERM"),
    kill: () => terminate("SIGKILL"),
    async restart() {
      await terminate("SIGTERM");
      proc = await launch(binary, confPath);
      await waitHealthy(monitorPort, proc);
    },
    async dispose() {
      await terminate("SIGTERM");
      await rm(root, { recursive: true, force: true });
    },
  };
}

interface Launched extends ChildProcess {
  output: string[];
}

// A test process that dies without its afterAll must not leave servers behind.
const live = new Set<Launched>();
process.once("exit", () => {
  for (const proc of live) proc.kill("SIGKILL");
});

async function launch(binary: string, confPath: string): Promise<Launched> {
  const proc = spawn(binary, ["-c", confPath], { stdio: ["ignore", "pipe", "pipe"] }) as Launched;
  proc.output = [];
  const keep = (chunk: Buffer): void => {
    proc.output.push(chunk.toString());
    if (proc.output.length > 50) proc.output.shift();
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  live.add(proc);
  proc.once("exit", () => live.delete(proc));
  await new Promise<void>((resolve, reject) => {
    proc.once("spawn", () => resolve());
    proc.once("error", reject);
  });
  return proc;
}

function failure(what: string, proc: Launched): Error {
  return new Error(`nats-server ${what}; its output:\n${proc.output.join("")}`);
}

async function readPorts(portsDir: string, proc: Launched): Promise<{ nats: number; monitoring: number }> {
  const file = join(portsDir, `nats-server_${proc.pid}.ports`);
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw failure(`exited with code ${proc.exitCode} before writing its ports`, proc);
    try {
      const parsed = JSON.parse(await readFile(file, "utf8")) as { nats?: string[]; monitoring?: string[] };
      const nats = Number(new URL(parsed.nats?.[0] ?? "").port);
      const monitoring = Number(new URL(parsed.monitoring?.[0] ?? "").port);
      if (nats > 0 && monitoring > 0) return { nats, monitoring };
    } catch {
      // Not written (or half written) yet: poll again.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw failure(`wrote no ports file at ${file}`, proc);
}

async function waitHealthy(monitorPort: number, proc: Launched): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw failure(`exited with code ${proc.exitCode} while starting`, proc);
    try {
      const res = await fetch(`http://127.0.0.1:${monitorPort}/healthz`);
      if (res.ok) return;
    } catch {
      // Not listening yet: poll again.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw failure("did not become healthy", proc);
}

// ---------------------------------------------------------------- a cluster of servers

export interface NatsCluster {
  /** The servers n1…nN in start order; each stops, is killed and restarts like a single server. */
  readonly servers: readonly NatsServer[];
  /** Every server's client URL, comma-separated, as `--nats` takes them. */
  readonly urls: string;
  /** Resolves once every running server is healthy and all name the same JetStream meta leader. */
  ready(): Promise<void>;
  /** Stops every server and deletes their temp dirs. */
  dispose(): Promise<void>;
}

/**
 * `size` nats-servers with JetStream on loopback, routed to each other as one cluster: free ports
 * chosen up front (so each config can name the others' routes), a store dir each, server names
 * n1…nN. Resolves once the cluster is ready (ready()).
 */
export async function startNatsCluster(size: number): Promise<NatsCluster> {
  const binary = natsServerBinary();
  const ports = await freePorts(size * 3);
  const nodes = Array.from({ length: size }, (_, i) => ({
    name: `n${i + 1}`,
    port: ports[3 * i] ?? 0,
    monitorPort: ports[3 * i + 1] ?? 0,
    routePort: ports[3 * i + 2] ?? 0,
  }));
  const clusterName = `maspo_test_${Date.now().toString(36)}`;
  const servers = await Promise.all(
    nodes.map(async (node) => {
      const root = await mkdtemp(join(tmpdir(), `maspo-nats-${node.name}-`));
      const storeDir = join(root, "store");
      const confPath = join(root, "server.conf");
      const routes = nodes.filter((n) => n !== node).map((n) => JSON.stringify(`nats-route://127.0.0.1:${n.routePort}`));
      const lines = [
        `server_name: ${node.name}`,
        `listen: "127.0.0.1:${node.port}"`,
        `http: "127.0.0.1:${node.monitorPort}"`,
        `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
        `cluster { name: ${clusterName}, listen: "127.0.0.1:${node.routePort}", routes: [${routes.join(", ")}] }`,
      ];
      await writeFile(confPath, `${lines.join("\n")}\n`);
      return managedServer(binary, confPath, root, { port: node.port, monitorPort: node.monitorPort, storeDir });
    }),
  );
  const fullyRouted = async (): Promise<boolean> => {
    const running = servers.filter((s) => s.running());
    // How many servers' client URLs each running server knows (itself included).
    const known = await Promise.all(
      running.map(async (s) => {
        try {
          const varz = (await (await fetch(`http://127.0.0.1:${s.monitorPort}/varz`)).json()) as { connect_urls?: string[] };
          return new Set(varz.connect_urls ?? []).size;
        } catch {
          return 0;
        }
      }),
    );
    return known.every((n) => n >= running.length);
  };
  const cluster: NatsCluster = {
    servers,
    urls: servers.map((s) => s.url).join(","),
    async ready() {
      for (let i = 0; i < 400; i++) {
        const leaders = await Promise.all(
          servers
            .filter((s) => s.running())
            .map(async (s) => {
              try {
                const jsz = (await (await fetch(`http://127.0.0.1:${s.monitorPort}/jsz`)).json()) as { meta_cluster?: { leader?: string } };
                return jsz.meta_cluster?.leader ?? "";
              } catch {
                return "";
              }
            }),
        );
        // Every server routed to every other one, too: a client's INFO lists the cluster's servers
        // (what maspo counts its size by) only once the routes have told each server of the others.
        if (leaders.length > 0 && leaders.every((l) => l !== "" && l === leaders[0]) && (await fullyRouted())) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`the NATS cluster at ${cluster.urls} elected no JetStream meta leader all its servers agree on`);
    },
    async dispose() {
      await Promise.all(servers.map((s) => s.dispose()));
    },
  };
  await cluster.ready();
  return cluster;
}

/** Ports free right now on loopback (held together while chosen, so they differ). */
async function freePorts(count: number): Promise<number[]> {
  const held = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = held.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

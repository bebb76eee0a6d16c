/**
 * Reliability case "canary secrets": a run whose endpoint key is a distinctive canary value (and, on
 * a cluster, whose every process holds a distinctive NATS password), then every place a copy could
 * land is searched for either value's bytes: each message on the bus (subject, headers, data), the
 * server's JetStream store on disk (every stream and KV bucket, the response cache included), every
 * process's output, every metrics page, the checkpoint, the report files and the embedded response
 * cache. The target is 0 bytes found anywhere.
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { connectNats, encode } from "@maspo/cluster";
import { readRunRecord } from "@maspo/run";
import { startNatsServer } from "../helpers/nats-server.js";
import {
  type MaspoProcess,
  exitedWithin,
  httpSpec,
  outputs,
  scrapeMetrics,
  spawnMaspo,
  startCountingSim,
  startWorkers,
  stopAll,
  tempDir,
  waitForStep,
} from "../fixtures/maspo-processes.js";
import { type CaseResult, zero } from "./figures.js";
import type { RunMode } from "./runs.js";

export const CANARY_KEY = "sk-maspo-canary-5e1f0c9a7d3b2k6w";
export const CANARY_PASSWORD = "nats-canary-pw-8d2b6f4a0c9e1q7y";
const SECRETS = [CANARY_KEY, CANARY_PASSWORD].map((s) => Buffer.from(s));
const KEY_VAR = "MASPO_CANARY_KEY";
const ENV = { [KEY_VAR]: CANARY_KEY, NATS_PASSWORD: CANARY_PASSWORD };
const AUTH = ["--user", "maspo", "--password-env", "NATS_PASSWORD"];

/** Occurrences of either secret in `bytes`. */
function found(bytes: Buffer | string): number {
  const b = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
  let n = 0;
  for (const s of SECRETS) for (let i = b.indexOf(s); i !== -1; i = b.indexOf(s, i + 1)) n++;
  return n;
}

/** Every file under `dir` (missing: none), with its bytes. */
async function filesUnder(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return Promise.all(
    entries
      .filter((e) => e.isFile())
      .map(async (e) => ({ path: join(e.parentPath, e.name), bytes: await readFile(join(e.parentPath, e.name)) })),
  );
}

interface Places {
  bus: number;
  store: number;
  logs: number;
  metrics: number;
  checkpoint: number;
  reports: number;
  cache: number;
  /** How much was searched, so a 0 means something. */
  searched: { busMessages: number; storeFiles: number; cacheFiles: number; metricsPages: number; llmCalls: number };
}

async function embeddedCanary(): Promise<Places> {
  const sim = await startCountingSim();
  try {
    const spec = await httpSpec(sim.url, KEY_VAR);
    const out = await tempDir("maspo-rel-canary-");
    const proc = spawnMaspo(
      "embedded",
      ["run", spec, "--out", out, "--json-logs", "--metrics-port", "auto", "--metrics-linger", "5s"],
      ENV,
    );
    // Scraped once the run is done (the report written, /metrics lingering): every series it had.
    await proc.waitForLine(/report\.json/);
    const metrics = await scrapeMetrics(proc);
    proc.child.kill("SIGTERM");
    const end = await exitedWithin(proc, 120_000, [proc]);
    if (!existsSync(join(out, "report.json"))) throw new Error(`the canary run wrote no report (${end.code}):\n${proc.output()}`);
    const files = await filesUnder(out);
    const cache = files.filter((f) => f.path.includes(`${join(out, "cache")}/`));
    const count = (pick: (p: string) => boolean) => files.filter((f) => pick(f.path)).reduce((n, f) => n + found(f.bytes), 0);
    return {
      bus: 0,
      store: 0,
      logs: found(proc.output()),
      metrics: found(metrics),
      checkpoint: count((p) => p.endsWith("checkpoint.json")),
      reports: count((p) => /report\.(json|md|html)$/.test(p)),
      cache: cache.reduce((n, f) => n + found(f.bytes), 0),
      searched: { busMessages: 0, storeFiles: 0, cacheFiles: cache.length, metricsPages: 1, llmCalls: sim.total() },
    };
  } finally {
    await sim.close();
  }
}

async function clusterCanary(): Promise<Places> {
  const server = await startNatsServer({ auth: { user: "maspo", password: CANARY_PASSWORD } });
  const sim = await startCountingSim();
  let procs: MaspoProcess[] = [];
  try {
    const runId = "rel-canary";
    const spec = await httpSpec(sim.url, KEY_VAR);
    const { nc } = await connectNats(
      { servers: server.url, user: "maspo", passwordEnv: "P" },
      { env: { P: CANARY_PASSWORD }, readFile: () => Promise.reject(new Error("no files")) },
    );
    let bus = 0;
    let busMessages = 0;
    // Everything published on the account: work, results, KV writes (record, cache), JetStream API traffic.
    const sub = nc.subscribe(">", {
      callback: (_err, msg) => {
        busMessages++;
        const headers = msg.headers ? Buffer.from(encode([...msg.headers].map(([k, v]) => [k, v]))) : Buffer.alloc(0);
        bus += found(Buffer.from(msg.data)) + found(headers) + found(msg.subject);
      },
    });
    procs = startWorkers(server.url, runId, { executor: 1, evaluator: 1, mutator: 1 }, AUTH, ENV);
    const out = await tempDir("maspo-rel-canary-");
    const coordinator = spawnMaspo(
      "coordinator",
      ["run", spec, "--nats", server.url, "--run-id", runId, "--out", out, "--json-logs", "--metrics-port", "auto", ...AUTH],
      ENV,
    );
    procs.push(coordinator);
    await waitForStep(coordinator, 2);
    const coordinatorMetrics = await scrapeMetrics(coordinator);
    // The record (spec + checkpoint) while the run runs: a done run's record is removed with its streams.
    const record = JSON.stringify((await readRunRecord(nc, runId)) ?? {});
    const end = await exitedWithin(coordinator, 120_000, procs);
    if (end.code !== 0) throw new Error(`the canary cluster run failed (${end.code}):\n${outputs(procs)}`);
    const workerMetrics = await Promise.all(procs.filter((p) => p !== coordinator).map(scrapeMetrics));
    await stopAll(procs);
    await nc.flush();
    sub.unsubscribe();
    await nc.close();
    await server.stop();
    const store = await filesUnder(server.storeDir);
    const reports = await filesUnder(out);
    return {
      bus,
      store: store.reduce((n, f) => n + found(f.bytes), 0),
      logs: procs.reduce((n, p) => n + found(p.output()), 0),
      metrics: [coordinatorMetrics, ...workerMetrics].reduce((n, m) => n + found(m), 0),
      checkpoint: found(record),
      reports: reports.reduce((n, f) => n + found(f.bytes), 0),
      cache: 0,
      searched: { busMessages, storeFiles: store.length, cacheFiles: 0, metricsPages: 1 + workerMetrics.length, llmCalls: sim.total() },
    };
  } finally {
    await stopAll(procs);
    await sim.close();
    await server.dispose();
  }
}

export async function measureCanary(options: { modes?: RunMode[] } = {}): Promise<CaseResult> {
  const started = Date.now();
  const modes = options.modes ?? ["embedded", "cluster"];
  const rows: CaseResult["rows"] = [];
  for (const mode of modes) {
    const places = mode === "embedded" ? await embeddedCanary() : await clusterCanary();
    const { searched, ...counts } = places;
    rows.push({ mode, ...counts, ...searched });
  }
  const total = (k: keyof Omit<Places, "searched">) => rows.reduce((n, r) => n + Number(r[k] ?? 0), 0);
  const searchedNote = rows
    .map(
      (r) =>
        `${String(r.mode)}: ${String(r.llmCalls)} keyed LLM calls, ${String(r.busMessages)} bus messages, ${String(r.storeFiles)} store files, ${String(r.cacheFiles)} cache files, ${String(r.metricsPages)} metrics pages`,
    )
    .join("; ");
  return {
    id: "canary",
    title: "canary API key (and NATS password)",
    repeats: rows.length,
    rows,
    seconds: (Date.now() - started) / 1000,
    figures: [
      zero("secret bytes on the bus", total("bus"), searchedNote),
      zero("secret bytes in KV and streams (the JetStream store on disk)", total("store")),
      zero("secret bytes in logs", total("logs")),
      zero("secret bytes in metrics", total("metrics")),
      zero("secret bytes in checkpoints", total("checkpoint")),
      zero("secret bytes in reports", total("reports")),
      zero(
        "secret bytes in caches",
        total("cache") + total("store"),
        "the embedded response cache directory; the cluster's is a KV bucket, in the store",
      ),
    ],
  };
}

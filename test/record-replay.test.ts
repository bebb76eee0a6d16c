/**
 * Record and replay through the real CLI, over HTTP (the real openai SDK to a simlm server): a run
 * recorded with `--record` and replayed with `--replay` while the server is DOWN gives the identical
 * report. "Identical" means report.json equal in every field — final and initial prompts, trajectory,
 * rounds, held-out delta and its hash, misalignment, guards, stop reason, models, seed, spec hash and
 * cost (calls, tokens, USD, cache hits, retries, failed attempts) — the replay adding only its
 * `replay` note; report.md equal but for that note. (The report holds no timestamp or duration; the
 * manifest's `createdAt` is the only clock reading, and it is not part of the report.)
 *
 * Also: what a replay refuses (another spec, listed field by field) and where it stops (a request
 * the recording lacks, with a server up again on the same address proving nothing was called live),
 * and that the API key never reaches the recording.
 */
import { readFile, readdir, writeFile, cp } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  type CountingSimServer,
  type MaspoProcess,
  exitedWithin,
  httpSpec,
  readReport,
  removeTempDirs,
  spawnMaspo,
  startCountingSim,
  stopAll,
  tempDir,
} from "./fixtures/maspo-processes.js";

const SECRET = "sk-recrep-7f3a9c-never-recorded";
const KEY_ENV = { MASPO_REC_KEY: SECRET };

const sims: CountingSimServer[] = [];
let procs: MaspoProcess[] = [];

afterEach(async () => {
  await stopAll(procs);
  procs = [];
  await Promise.all(sims.splice(0).map((s) => s.close()));
});
afterAll(removeTempDirs);

async function maspo(name: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const proc = spawnMaspo(name, args, env);
  procs.push(proc);
  const { code } = await exitedWithin(proc, 150_000, [proc]);
  return { code, output: proc.output() };
}

interface Recorded {
  spec: string;
  recording: string;
  out: string;
  port: number;
  sim: CountingSimServer;
}

/** Records the small spec against a fresh simlm server (with `faults`, if any), then stops the server. */
async function recordRun(faults?: Parameters<typeof startCountingSim>[0]): Promise<Recorded> {
  const sim = await startCountingSim(faults);
  sims.push(sim);
  const spec = await httpSpec(sim.url, "MASPO_REC_KEY");
  const recording = join(await tempDir("maspo-recording-"), "rec");
  const out = await tempDir("maspo-recorded-");
  const run = await maspo("record", ["run", spec, "--out", out, "--record", recording], KEY_ENV);
  expect(run.code, run.output).toBe(0);
  expect(run.output).toMatch(/recorded \d+ LLM exchanges/);
  expect(sim.total()).toBeGreaterThan(0);
  await sim.close();
  sims.splice(sims.indexOf(sim), 1);
  return { spec, recording, out, port: Number(new URL(sim.url).port), sim };
}

/** Replays with no key in the environment at all. */
async function replayRun(rec: Recorded, extra: string[] = []): Promise<{ code: number | null; output: string; out: string }> {
  const out = await tempDir("maspo-replayed-");
  const run = await maspo("replay", ["run", rec.spec, "--out", out, "--replay", rec.recording, ...extra]);
  return { ...run, out };
}

async function expectIdenticalReports(recordedOut: string, replayedOut: string, recording: string): Promise<void> {
  const recorded = (await readReport(recordedOut)) as unknown as Record<string, unknown>;
  const { replay, ...replayed } = (await readReport(replayedOut)) as unknown as Record<string, unknown>;
  expect(recorded.replay).toBeUndefined();
  expect(replay).toMatchObject({ recording, newCalls: 0 });
  expect((replay as { exchangesServed: number }).exchangesServed).toBeGreaterThan(0);
  // Field by field first, so a failure names the field; then the whole object.
  for (const field of Object.keys(recorded)) expect(replayed[field], `report.json field ${field}`).toEqual(recorded[field]);
  expect(replayed).toEqual(recorded);
  const md = await readFile(join(replayedOut, "report.md"), "utf8");
  expect(md).toMatch(/Replayed offline from the recording .*: 0 new LLM calls/);
  expect(md.replace(/ Replayed offline from the recording [^\n]*/, "")).toBe(await readFile(join(recordedOut, "report.md"), "utf8"));
}

describe("record and replay", () => {
  it("replays a run recorded over HTTP to the identical report with the server stopped, no key set, and keeps no key", async () => {
    const rec = await recordRun();
    const replayed = await replayRun(rec);
    expect(replayed.code, replayed.output).toBe(0);
    expect(replayed.output).toMatch(/replaying offline from/);
    await expectIdenticalReports(rec.out, replayed.out, rec.recording);

    const manifest = JSON.parse(await readFile(join(rec.recording, "manifest.json"), "utf8")) as Record<string, unknown>;
    const report = await readReport(rec.out);
    expect(manifest).toMatchObject({
      format: 1,
      complete: true,
      specHash: report.specHash,
      seed: report.seed,
      cost: report.cost,
      ablations: [],
      endpoints: [
        { id: "sim", model: "sim-agent", baseURL: rec.sim.url, apiKeyEnv: "MASPO_REC_KEY" },
        { id: "sim-judge", model: "sim-judge", baseURL: rec.sim.url, apiKeyEnv: "MASPO_REC_KEY" },
      ],
    });
    expect(Object.keys(manifest.promptVersions as object).sort()).toEqual(["formatter", "planner", "solver"]);
    const lines = (await readFile(join(rec.recording, "exchanges.jsonl"), "utf8")).trim().split("\n");
    expect(manifest.exchanges).toBe(lines.length);
    // The key went out in every request's Authorization header; none of it is kept.
    for (const file of await readdir(rec.recording)) {
      const text = await readFile(join(rec.recording, file), "utf8");
      expect(text, file).not.toContain(SECRET);
      expect(text.toLowerCase(), file).not.toContain("authorization");
    }
  }, 300_000);

  it("replays the retries of a run recorded under injected faults (429 with Retry-After, 500, malformed) to the identical report", async () => {
    const rec = await recordRun({
      faults: { rate429: 0.04, rate500: 0.03, rateMalformed: 0.03, seed: 5, maxPerRequest: 2 },
      retryAfterMs: 20,
    });
    const recorded = await readReport(rec.out);
    expect(recorded.cost.retries).toBeGreaterThan(0);
    const replayed = await replayRun(rec);
    expect(replayed.code, replayed.output).toBe(0);
    await expectIdenticalReports(rec.out, replayed.out, rec.recording);
  }, 300_000);

  it("refuses to replay another spec or seed, listing each difference, and a request the recording lacks stops the replay without a live call", async () => {
    const rec = await recordRun();

    const other = await replayRun(rec, ["--set", "name=renamed", "--seed", "2"]);
    expect(other.code, other.output).toBe(2);
    expect(other.output).toContain("this run differs from the recorded one");
    expect(other.output).toContain('spec.name: recorded "math-chain-small", now "renamed"');
    expect(other.output).toContain("spec.seed: recorded 1, now 2");

    // A recording missing one exchange of the run (the first that is not a preflight probe).
    const lines = (await readFile(join(rec.recording, "exchanges.jsonl"), "utf8")).trim().split("\n");
    const gone = lines.findIndex((l) => !l.includes("Reply with OK."));
    const { key, endpointId, model } = JSON.parse(lines[gone] as string) as { key: string; endpointId: string; model: string };
    const cut = join(await tempDir("maspo-recording-cut-"), "rec");
    await cp(rec.recording, cut, { recursive: true });
    await writeFile(join(cut, "exchanges.jsonl"), `${lines.filter((l) => !l.includes(`"key":"${key}"`)).join("\n")}\n`);
    // A server is up again at the recorded address: a live call would reach it.
    const live = await startCountingSim({ port: rec.port });
    sims.push(live);
    const missing = await replayRun({ ...rec, recording: cut });
    expect(missing.code, missing.output).toBe(1);
    expect(missing.output).toContain("the recording holds no answer for a request to endpoint");
    expect(missing.output).toContain(`'${endpointId}' (model ${model}`);
    expect(missing.output).toContain(`request key ${key}`);
    expect(live.total() + live.probes()).toBe(0);
  }, 300_000);

  it("records a sweep and replays it offline: every run's report identical, and the summary", async () => {
    const sim = await startCountingSim();
    sims.push(sim);
    const spec = await httpSpec(sim.url, "MASPO_REC_KEY");
    const file = join(dirname(spec), "rec-sweep.yaml");
    await writeFile(file, `name: rec-sweep\nbase: ${basename(spec)}\nseeds: [1, 2]\nmaxParallel: 2\n`);
    const recording = join(await tempDir("maspo-recording-sweep-"), "rec");
    const [recordedOut, replayedOut] = [await tempDir("maspo-sweep-recorded-"), await tempDir("maspo-sweep-replayed-")];
    const recorded = await maspo("sweep-record", ["sweep", file, "--out", recordedOut, "--record", recording], KEY_ENV);
    expect(recorded.code, recorded.output).toBe(0);
    await sim.close();
    sims.splice(sims.indexOf(sim), 1);
    const replayed = await maspo("sweep-replay", ["sweep", file, "--out", replayedOut, "--replay", recording]);
    expect(replayed.code, replayed.output).toBe(0);
    const summary = JSON.parse(await readFile(join(recordedOut, "sweep.json"), "utf8")) as { runs: { label: string; status: string }[] };
    expect(summary.runs.map((r) => r.status)).toEqual(["done", "done"]);
    for (const { label } of summary.runs) {
      await expectIdenticalReports(join(recordedOut, "runs", label), join(replayedOut, "runs", label), join(recording, "runs", label));
    }
    expect(await readFile(join(replayedOut, "sweep.json"), "utf8")).toBe(await readFile(join(recordedOut, "sweep.json"), "utf8"));
  }, 300_000);

  it("refuses --record into a directory that holds files, --record and --replay together, and either with --nats", async () => {
    const sim = await startCountingSim();
    sims.push(sim);
    const spec = await httpSpec(sim.url, "MASPO_REC_KEY");
    const full = await tempDir("maspo-recording-full-");
    await writeFile(join(full, "notes.txt"), "mine\n");
    const intoFull = await maspo("record-full", ["run", spec, "--out", await tempDir(), "--record", full], KEY_ENV);
    expect(intoFull.code, intoFull.output).toBe(2);
    expect(intoFull.output).toContain("the directory is not empty (it holds notes.txt)");
    const both = await maspo("both", ["run", spec, "--out", await tempDir(), "--record", full, "--replay", full], KEY_ENV);
    expect(both.code, both.output).toBe(2);
    expect(both.output).toContain("--record and --replay were both given");
    const cluster = await maspo("cluster", ["run", spec, "--nats", "nats://127.0.0.1:1", "--record", full], KEY_ENV);
    expect(cluster.code, cluster.output).toBe(2);
    expect(cluster.output).toContain("--record is for embedded runs");
    // Nothing was run: not even a preflight probe reached the server.
    expect(sim.total() + sim.probes()).toBe(0);
  }, 120_000);
});

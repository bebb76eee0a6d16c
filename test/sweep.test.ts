/**
 * `maspo sweep` end to end, as processes: the README's sweep example runs offline and writes its
 * summary where --out says, each run ending with its solo run's final prompts, and the same on a pool of
 * workers started without --run (--nats); a sweep killed midway
 * finishes with --resume without re-running the runs it had finished; a used output directory and
 * a sweep with bad runs are refused before anything starts (exit 2).
 */
import { stat, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startNatsServer } from "./helpers/nats-server.js";
import {
  type ReportJson,
  ROOT,
  SMALL_SPEC,
  exitedWithin,
  outputs,
  startWorkers,
  stopAll,
  readReport,
  removeTempDirs,
  spawnMaspo,
  tempDir,
} from "./fixtures/maspo-processes.js";

const EXAMPLE = join(ROOT, "examples/math-chain-sweep.yaml");

afterAll(removeTempDirs);

interface SweepJson {
  runs: { label: string; status: string; report?: string }[];
  totals: { runs: number; done: number; failed: number };
}

async function soloRun(args: string[]): Promise<ReportJson> {
  const out = await tempDir("maspo-solo-");
  // The sweep states why its grid overrides K (sweep-plan.ts); a solo run states it on the command line.
  const reason = ["--set", "search.reason=the solo run of a sweep's configuration"];
  const proc = spawnMaspo("solo", ["run", join(ROOT, "examples/math-chain.yaml"), "--out", out, "--quiet", ...reason, ...args]);
  const { code } = await exitedWithin(proc, 100_000, [proc]);
  if (code !== 0) throw new Error(`solo run failed:\n${proc.output()}`);
  return readReport(out);
}

describe("maspo sweep", () => {
  it("runs the README's sweep example offline: summary in --out, every run with its solo run's final prompts", async () => {
    const out = await tempDir("maspo-sweep-");
    const proc = spawnMaspo("sweep", ["sweep", EXAMPLE, "--out", out]);
    const { code } = await exitedWithin(proc, 150_000, [proc]);
    expect(code, proc.output()).toBe(0);
    for (const f of ["sweep.md", "sweep.json", "sweep.html"]) expect((await stat(join(out, f))).size).toBeGreaterThan(200);
    const summary = JSON.parse(await readFile(join(out, "sweep.json"), "utf8")) as SweepJson;
    expect(summary.totals).toMatchObject({ runs: 4, done: 4, failed: 0 });
    expect(proc.output()).toMatch(/sweep: beamSize=5\/seed-2: held-out/);

    const solo = [];
    for (const [k, seed] of [
      [3, 1],
      [3, 2],
      [5, 1],
      [5, 2],
    ] as const) {
      solo.push({ label: `beamSize=${k}/seed-${seed}`, report: soloRun(["--set", `search.beamSize=${k}`, "--seed", String(seed)]) });
    }
    for (const s of solo) {
      const run = await readReport(join(out, "runs", s.label));
      expect(run.finalPrompts, s.label).toEqual((await s.report).finalPrompts);
      expect(run.delta.heldOut, s.label).toEqual((await s.report).delta.heldOut);
    }
    expect(await readFile(join(out, "sweep.md"), "utf8")).toContain("[report](runs/beamSize=3/seed-1/report.md)");
  }, 240_000);

  it("runs the README's sweep example with --nats on a pool of workers started without --run, summary in --out", async () => {
    const nats = await startNatsServer();
    const pool = startWorkers(nats.url, undefined, { executor: 1, evaluator: 1, mutator: 1 });
    try {
      const out = await tempDir("maspo-sweep-nats-");
      const proc = spawnMaspo("sweep-nats", ["sweep", EXAMPLE, "--nats", nats.url, "--out", out]);
      const { code } = await exitedWithin(proc, 200_000, [proc, ...pool]);
      expect(code, outputs([proc, ...pool])).toBe(0);
      for (const f of ["sweep.md", "sweep.json", "sweep.html"]) expect((await stat(join(out, f))).size).toBeGreaterThan(200);
      const summary = JSON.parse(await readFile(join(out, "sweep.json"), "utf8")) as SweepJson;
      expect(summary.totals).toMatchObject({ runs: 4, done: 4, failed: 0 });
      // The cluster runs are the embedded ones: the same final prompts for the same spec and seed.
      const solo = await soloRun(["--set", "search.beamSize=3", "--seed", "2"]);
      expect((await readReport(join(out, "runs", "beamSize=3/seed-2"))).finalPrompts).toEqual(solo.finalPrompts);
    } finally {
      await stopAll(pool);
      await nats.dispose();
    }
  }, 300_000);

  it("finishes a sweep killed midway with --resume, without re-running the runs it had finished", async () => {
    const dir = await tempDir("maspo-sweep-file-");
    const file = join(dir, "small-sweep.yaml");
    await writeFile(file, `name: small\nbase: ${JSON.stringify(SMALL_SPEC)}\nseeds: [1, 2, 3]\nmaxParallel: 1\n`);
    const out = await tempDir("maspo-sweep-");
    const first = spawnMaspo("sweep-1", ["sweep", file, "--out", out]);
    await first.waitForLine(/sweep: base\/seed-1: held-out/);
    first.child.kill("SIGKILL");
    await first.exited;
    const finished = await stat(join(out, "runs/base/seed-1/report.json"));

    const refused = spawnMaspo("sweep-again", ["sweep", file, "--out", out]);
    expect((await exitedWithin(refused, 30_000, [refused])).code).toBe(2);
    expect(refused.output()).toMatch(/already holds a sweep.*--resume/);

    const second = spawnMaspo("sweep-2", ["sweep", file, "--out", out, "--resume"]);
    const { code } = await exitedWithin(second, 150_000, [second]);
    expect(code, second.output()).toBe(0);
    expect(second.output()).not.toMatch(/started base\/seed-1/);
    expect((await stat(join(out, "runs/base/seed-1/report.json"))).mtimeMs).toBe(finished.mtimeMs);
    const summary = JSON.parse(await readFile(join(out, "sweep.json"), "utf8")) as SweepJson;
    expect(summary.totals).toMatchObject({ runs: 3, done: 3, failed: 0 });
  }, 240_000);

  it("refuses a sweep whose runs have problems, listing every one, before any run starts", async () => {
    const dir = await tempDir("maspo-sweep-file-");
    const file = join(dir, "bad-sweep.yaml");
    await writeFile(file, `base: ${JSON.stringify(SMALL_SPEC)}\ngrid:\n  search.beamSize: [0, 2]\n  search.rounds: [-1]\n`);
    const out = await tempDir("maspo-sweep-");
    const proc = spawnMaspo("bad-sweep", ["sweep", file, "--out", out]);
    expect((await exitedWithin(proc, 30_000, [proc])).code).toBe(2);
    expect(proc.output()).toMatch(/\[beamSize=0,rounds=-1\] search\.beamSize/);
    expect(proc.output()).toMatch(/search\.rounds/);
    await expect(stat(join(out, "sweep-plan.json"))).rejects.toThrow();
  }, 60_000);
});

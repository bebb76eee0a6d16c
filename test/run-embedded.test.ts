/**
 * `maspo run` end to end in the embedded mode, against simlm through the real openai SDK: the
 * report files, the held-out discipline, determinism, and a real process killed and resumed.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { type LlmCaller, type RunSpend, loadSpecFile } from "@maspo/core";
import { generateDataset, loadWorld } from "@maspo/simlm";
import { afterAll, describe, expect, it } from "vitest";
import { NO_ABLATIONS } from "@maspo/core";
import { runEmbedded } from "@maspo/run";
import { createRunProgress } from "@maspo/cli";
import {
  BIN,
  BUDGET_CALL_WORST,
  BUDGET_FLAGS,
  ROOT,
  SMALL_SPEC,
  httpSpec,
  readReport,
  removeTempDirs,
  spawnMaspo,
  startCountingSim,
  tempDir,
} from "./fixtures/maspo-processes.js";

const SPEC = SMALL_SPEC;
afterAll(removeTempDirs);

async function countCacheEntries(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(".json")).length;
}

interface CheckpointJson {
  state: { nextStep: number; deadlineAt?: number | null; stopReason: string | null; guardEvents: unknown[]; spend?: RunSpend };
}

async function readCheckpoint(dir: string): Promise<CheckpointJson> {
  return JSON.parse(await readFile(join(dir, "checkpoint.json"), "utf8")) as CheckpointJson;
}

function runCli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: ROOT });
}

describe("maspo run (embedded)", () => {
  it("writes report.md, report.json and report.html, names the world and prints where they are", async () => {
    const out = await tempDir();
    const r = runCli(["run", SPEC, "--out", out]);
    expect(r.stderr).not.toContain("unexpected error");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(join(out, "report.md"));
    for (const f of ["report.md", "report.json", "report.html"]) expect(existsSync(join(out, f))).toBe(true);
    const report = await readReport(out);
    expect(report.world).toBe("math-chain");
    expect(Object.keys(report.finalPrompts).sort()).toEqual(["formatter", "planner", "solver"]);
    expect(report.cost.calls).toBeGreaterThan(0);
    const md = await readFile(join(out, "report.md"), "utf8");
    expect(md).toContain("## 6. Recommended next experiments");
  });

  it("never sends a held-out example to an LLM before optimization ends, and runs the held-out split after it", async () => {
    const spec = await loadSpecFile(SPEC, { env: {} });
    const world = loadWorld("math-chain");
    const heldOut = generateDataset({ ...world, data: { ...world.data, train: 16, heldOut: 24 } }).heldOut;
    const seen = { optimize: 0, finishHeldOut: 0 };
    const leaks: string[] = [];
    const wrapLlm = (llm: LlmCaller, phase: () => "optimize" | "finish"): LlmCaller => ({
      complete: async (req) => {
        const text = req.messages.map((m) => m.content).join("\n");
        const hit = heldOut.find((e) => text.includes(e.input));
        if (phase() === "optimize") {
          seen.optimize++;
          if (hit) leaks.push(hit.id);
        } else if (hit) seen.finishHeldOut++;
        return llm.complete(req);
      },
    });
    await runEmbedded({
      spec,
      specDir: join(ROOT, "test/fixtures"),
      outDir: await tempDir(),
      resume: false,
      ablations: NO_ABLATIONS,
      env: {},
      progress: createRunProgress("quiet", process.stderr),
      wrapLlm,
    });
    expect(seen.optimize).toBeGreaterThan(100);
    expect(leaks).toEqual([]);
    // Baseline and final prompt sets, three agents each, on every held-out example (fewer if the sets share calls).
    expect(seen.finishHeldOut).toBeGreaterThanOrEqual(heldOut.length * 3);
  });

  it("gives the same final prompts for the same spec and seed, run after run", async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    expect(runCli(["run", SPEC, "--out", a, "--quiet"]).status).toBe(0);
    expect(runCli(["run", SPEC, "--out", b, "--quiet"]).status).toBe(0);
    const [ra, rb] = [await readReport(a), await readReport(b)];
    expect(ra.finalPrompts).toEqual(rb.finalPrompts);
    expect(ra.delta.heldOut).toEqual(rb.delta.heldOut);
  });

  it("resumes a run killed with SIGKILL mid-way to the same final prompts, paying for no LLM call twice", async () => {
    const whole = await tempDir();
    expect(runCli(["run", SPEC, "--out", whole, "--quiet"]).status).toBe(0);
    const uninterrupted = await readReport(whole);

    const out = await tempDir();
    const child = spawn(process.execPath, [BIN, "run", SPEC, "--out", out, "--quiet"], { cwd: ROOT, stdio: "ignore" });
    const exited = new Promise<void>((res) => child.on("exit", () => res()));
    // Kill once the checkpoint shows the run is past initialisation (orientation + 3 inits = 4 steps).
    let killedAt = -1;
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      try {
        const cp = JSON.parse(await readFile(join(out, "checkpoint.json"), "utf8")) as { state: { nextStep: number } };
        if (cp.state.nextStep >= 5) {
          killedAt = cp.state.nextStep;
          child.kill("SIGKILL");
          break;
        }
      } catch {
        // not written yet, or mid-rename: poll again
      }
      if (child.exitCode !== null) break;
    }
    await exited;
    expect(killedAt).toBeGreaterThanOrEqual(5);
    expect(existsSync(join(out, "report.json"))).toBe(false);
    const cachedBeforeResume = await countCacheEntries(join(out, "cache"));
    const checkpointed = (await readCheckpoint(out)).state.spend?.usage.rows.reduce((n, r) => n + r.calls, 0) ?? 0;

    const resumed = runCli(["run", SPEC, "--resume", out, "--quiet"]);
    expect(resumed.stderr).toBe("");
    expect(resumed.status).toBe(0);
    const report = await readReport(out);
    expect(report.finalPrompts).toEqual(uninterrupted.finalPrompts);
    expect(report.delta.heldOut).toEqual(uninterrupted.delta.heldOut);
    // Every distinct request is made over the network exactly once across the killed and the resumed process,
    // and the report counts each once: the checkpoint's calls, those the killed process paid for after its last
    // checkpoint (in the cache, counted as calls when first hit on resume) and the resumed process's own.
    expect(checkpointed).toBeGreaterThan(0);
    expect(cachedBeforeResume).toBeGreaterThanOrEqual(checkpointed);
    expect(report.cost.calls).toBe(uninterrupted.cost.calls);
  });

  it("refuses to resume with a different spec", async () => {
    const out = await tempDir();
    expect(runCli(["run", SPEC, "--out", out, "--quiet"]).status).toBe(0);
    const other = runCli(["run", join(ROOT, "examples/math-chain.yaml"), "--resume", out]);
    expect(other.status).toBe(1);
    expect(other.stderr).toContain("cannot resume");
    expect(other.stderr).toContain("the spec changed");
  });
});

describe("maspo run (embedded) with a $ budget and a token guard, killed and resumed", () => {
  it("stops at the same step with the same guard events and deadline, and a cost within one call, as the uninterrupted run", async () => {
    const out = await tempDir();
    const nextStepIn = (dir: string): number => {
      try {
        return (JSON.parse(readFileSync(join(dir, "checkpoint.json"), "utf8")) as CheckpointJson).state.nextStep;
      } catch {
        return 0;
      }
    };
    // Once the 4th step is checkpointed every request is held unanswered: the kill then loses no call
    // that was paid for, so the resumed run must add up to exactly the uninterrupted one.
    const sim = await startCountingSim({ hold: () => nextStepIn(out) >= 4 });
    const env = { MASPO_TEST_KEY: "test-key-not-secret" };
    try {
      const spec = await httpSpec(sim.url, "MASPO_TEST_KEY");
      const whole = await tempDir();
      const uninterruptedRun = spawnMaspo("uninterrupted", ["run", spec, "--out", whole, "--quiet", ...BUDGET_FLAGS], env);
      expect((await uninterruptedRun.exited).code, uninterruptedRun.output()).toBe(0);
      const [uninterrupted, uninterruptedEnd] = [await readReport(whole), await readCheckpoint(whole)];
      expect(uninterrupted.stopReason).toBe("budget of $0.04 spent");
      expect(uninterruptedEnd.state.guardEvents).toHaveLength(1);

      const killed = spawnMaspo("killed", ["run", spec, "--out", out, "--quiet", ...BUDGET_FLAGS], env);
      while (sim.held() === 0 && killed.child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
      killed.child.kill("SIGKILL");
      expect((await killed.exited).signal).toBe("SIGKILL");
      const atKill = await readCheckpoint(out);
      expect(atKill.state.nextStep).toBe(4);
      sim.release();

      const resumed = spawnMaspo("resumed", ["run", spec, "--resume", out, "--quiet", ...BUDGET_FLAGS], env);
      expect((await resumed.exited).code, resumed.output()).toBe(0);
      const [report, end] = [await readReport(out), await readCheckpoint(out)];
      expect(report.stopReason).toBe(uninterrupted.stopReason);
      expect(end.state.nextStep).toBe(uninterruptedEnd.state.nextStep);
      expect(end.state.guardEvents).toEqual(uninterruptedEnd.state.guardEvents);
      expect(report.trajectory).toEqual(uninterrupted.trajectory);
      // The step the budget ran out in is dropped in both; which of its calls were served first is not
      // fixed, so the two spends agree to within one call's worst case (the budget's own bound).
      expect(Math.abs(report.cost.tokens - uninterrupted.cost.tokens)).toBeLessThan(BUDGET_CALL_WORST.tokens);
      expect(Math.abs(report.cost.usd - uninterrupted.cost.usd)).toBeLessThan(BUDGET_CALL_WORST.usd);
      expect(report.finalPrompts).toEqual(uninterrupted.finalPrompts);
      // The deadline is the one the run started with, not one restarted at the resume.
      expect(end.state.deadlineAt).toBe(atKill.state.deadlineAt);
      expect(typeof end.state.deadlineAt).toBe("number");
    } finally {
      await sim.close();
    }
  }, 120_000);
});

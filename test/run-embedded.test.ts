/**
 * `maspo run` end to end in the embedded mode, against simlm through the real openai SDK: the
 * report files, the held-out discipline, determinism, and a real process killed and resumed.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { type LlmCaller, loadSpecFile } from "@maspo/core";
import { generateDataset, loadWorld } from "@maspo/simlm";
import { afterAll, describe, expect, it } from "vitest";
import { NO_ABLATIONS } from "@maspo/core";
import { runEmbedded } from "@maspo/run";
import { createRunProgress } from "@maspo/cli";
import { BIN, ROOT, SMALL_SPEC, readReport, removeTempDirs, tempDir } from "./fixtures/maspo-processes.js";

const SPEC = SMALL_SPEC;
afterAll(removeTempDirs);

async function countCacheEntries(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(".json")).length;
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

    const resumed = runCli(["run", SPEC, "--resume", out, "--quiet"]);
    expect(resumed.stderr).toBe("");
    expect(resumed.status).toBe(0);
    const report = await readReport(out);
    expect(report.finalPrompts).toEqual(uninterrupted.finalPrompts);
    expect(report.delta.heldOut).toEqual(uninterrupted.delta.heldOut);
    // Every distinct request is made over the network exactly once across the killed and the resumed process.
    expect(cachedBeforeResume + report.cost.calls).toBe(uninterrupted.cost.calls);
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

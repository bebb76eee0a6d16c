/**
 * The new user's path (issue 12, item 7): the real-endpoint example specs (OpenAI, vLLM, Ollama, a
 * llama.cpp server; a math chain and a code pipeline each) validate with `maspo validate
 * --no-env-check`, keyless localhost endpoints need no key at all, and one of them runs as written
 * over HTTP with simlm standing in for the local server; the README's complete inline example
 * improves on held-out; and `maspo init` writes a spec whose run improves.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { main } from "@maspo/cli";
import type { Report } from "@maspo/coordinator";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, readReport as readReportJson, removeTempDirs, startCountingSim, tempDir } from "./fixtures/maspo-processes.js";

afterAll(removeTempDirs);

const REAL = join(ROOT, "examples/real");
const realSpecs = readdirSync(REAL)
  .filter((f) => f.endsWith(".yaml"))
  .sort();
const PROVIDERS = ["llamacpp", "ollama", "openai", "vllm"];
const readReport = async (dir: string) => (await readReportJson(dir)) as unknown as Report;

async function maspo(args: string[], env: Record<string, string> = {}) {
  let out = "";
  let err = "";
  const status = await main(["node", "maspo", ...args], { out: (t) => (out += t), err: (t) => (err += t), env, cwd: ROOT });
  return { status, out, err };
}

describe("examples/real: specs for real endpoints", () => {
  it("has a math chain and a code pipeline for each of OpenAI, vLLM, Ollama and llama.cpp", () => {
    expect(realSpecs).toEqual(["code-pipeline", "math-chain"].flatMap((s) => PROVIDERS.map((p) => `${s}.${p}.yaml`)));
  });

  it.each(realSpecs)("examples/real/%s passes maspo validate --no-env-check, and says what to set and run", async (file) => {
    const r = await maspo(["validate", "--no-env-check", `examples/real/${file}`]);
    expect(r.err).toBe("");
    expect(r.out).toMatch(/^ok: /);
    expect(r.status).toBe(0);
    const header = readFileSync(join(REAL, file), "utf8").split("\nname:")[0] ?? "";
    expect(header).toMatch(/# Set up: /);
    expect(header).toContain(`maspo run examples/real/${file}`);
  });

  it.each(realSpecs.filter((f) => !f.includes(".openai.")))(
    "examples/real/%s needs no API key: its server is keyless on localhost",
    async (file) => {
      expect((await maspo(["validate", `examples/real/${file}`])).status).toBe(0);
    },
  );

  it.each(realSpecs.filter((f) => f.includes(".openai.")))("examples/real/%s names OPENAI_API_KEY when it is not set", async (file) => {
    const r = await maspo(["validate", `examples/real/${file}`]);
    expect(r.status).toBe(2);
    expect(r.err).toContain("OPENAI_API_KEY");
    expect((await maspo(["validate", `examples/real/${file}`], { OPENAI_API_KEY: "sk-test" })).status).toBe(0);
  });

  it("runs the vLLM math chain as written over HTTP, with simlm serving on localhost in vLLM's place", async () => {
    const sim = await startCountingSim();
    try {
      const out = await tempDir();
      const r = await maspo([
        "run",
        "examples/real/math-chain.vllm.yaml",
        "--set",
        `models.local.baseURL=${sim.url}`,
        "--set",
        "search.rounds=1",
        "--out",
        out,
        "--quiet",
      ]);
      expect(r.err).toBe("");
      expect(r.status).toBe(0);
      const report = await readReport(out);
      expect(report.delta.heldOut.examples).toBe(10);
      expect(sim.probes()).toBeGreaterThan(0);
      expect(sim.total()).toBeGreaterThan(100);
    } finally {
      await sim.close();
    }
  }, 120_000);
});

describe("the offline examples a new user starts from", () => {
  it("examples/inline-arithmetic.yaml improves on held-out (its guard floor no longer refuses every candidate)", async () => {
    const out = await tempDir();
    const r = await maspo(["run", "examples/inline-arithmetic.yaml", "--out", out, "--quiet"]);
    expect(r.status).toBe(0);
    const report = await readReport(out);
    expect(report.delta.heldOut.final).toBeGreaterThan(report.delta.heldOut.baseline + 0.25);
    expect(report.guards).toEqual([]);
  }, 120_000);

  it("maspo init writes a spec whose run starts above zero and improves on held-out", async () => {
    const dir = await tempDir();
    expect((await maspo(["init", dir])).status).toBe(0);
    const out = join(dir, "out");
    const r = await maspo(["run", join(dir, "maspo.yaml"), "--out", out, "--quiet"]);
    expect(r.status).toBe(0);
    const report = await readReport(out);
    expect(report.delta.heldOut.examples).toBe(24);
    expect(report.delta.heldOut.baseline).toBeGreaterThan(0);
    expect(report.delta.heldOut.final).toBeGreaterThan(report.delta.heldOut.baseline + 0.25);
  }, 120_000);
});

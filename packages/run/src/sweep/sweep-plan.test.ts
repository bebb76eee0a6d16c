import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ValidationError } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { expandConfigurations, loadSweepPlan } from "./sweep-plan.js";

const BASE = new URL("../../../../examples/math-chain.yaml", import.meta.url).pathname;

async function sweepFile(body: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "maspo-sweep-plan-"));
  const file = join(dir, "sweep.yaml");
  await writeFile(file, `base: ${JSON.stringify(BASE)}\n${body}`);
  return file;
}

describe("sweep configurations", () => {
  it("cross the named sets with every combination of the grid, named by what they set", () => {
    const configs = expandConfigurations({
      base: "x.yaml",
      grid: { "search.beamSize": [3, 5], weights: [{ preset: "paper" }] },
      configurations: [
        { name: "a", set: {} },
        { name: "b", set: { "search.rounds": 2 } },
      ],
    });
    expect(configs.map((c) => c.name)).toEqual([
      "a,beamSize=3,weights=paper",
      "a,beamSize=5,weights=paper",
      "b,beamSize=3,weights=paper",
      "b,beamSize=5,weights=paper",
    ]);
    expect(configs[2]?.overrides).toEqual([
      { path: "search.rounds", value: 2 },
      { path: "search.beamSize", value: 3 },
      { path: "weights", value: { preset: "paper" } },
    ]);
  });

  it("is the base spec alone when the file sets nothing", () => {
    expect(expandConfigurations({ base: "x.yaml" })).toEqual([{ name: "base", overrides: [] }]);
  });
});

describe("loadSweepPlan", () => {
  it("expands configurations × seeds into runs, each with its validated spec", async () => {
    const plan = await loadSweepPlan(await sweepFile("name: t\nseeds: [1, 2]\ngrid:\n  search.beamSize: [3, 4]\n"), {
      env: {},
      checkEnv: true,
    });
    expect(plan.runs.map((r) => r.label)).toEqual(["beamSize=3/seed-1", "beamSize=3/seed-2", "beamSize=4/seed-1", "beamSize=4/seed-2"]);
    expect(plan.runs[3]?.spec.search.beamSize).toBe(4);
    expect(plan.runs[3]?.spec.seed).toBe(2);
  });

  it("validates every expanded spec before anything starts and reports the problems of every run at once", async () => {
    const file = await sweepFile("seeds: [1]\ngrid:\n  search.beamSize: [0, 3]\n  search.rounds: [-1]\n");
    const err = await loadSweepPlan(file, { env: {}, checkEnv: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const paths = (err as ValidationError).issues.map((i) => i.path);
    expect(paths).toContain("[beamSize=0,rounds=-1 (seed 1)] search.beamSize");
    expect(paths.filter((p) => p.endsWith("search.rounds"))).toHaveLength(1);
  });

  it("refuses a sweep file with an unknown key, naming it", async () => {
    const err = await loadSweepPlan(await sweepFile("sedes: [1]\n"), { env: {}, checkEnv: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toMatch(/sedes/);
  });
});

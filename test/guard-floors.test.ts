/**
 * Guard floors end to end (issue 14, item 1), on the small math-chain spec as a real process: a
 * floor the run cannot reach blocks its promotions where they happen, and the returned set that
 * breaks it is flagged in the terminal, in report.json and by exit status 4.
 */
import { afterAll, describe, expect, it } from "vitest";
import { SMALL_SPEC, readReport, removeTempDirs, spawnMaspo, tempDir } from "./fixtures/maspo-processes.js";

afterAll(removeTempDirs);

describe("guard floors", () => {
  it("flags a returned set below finalMetricFloor in the terminal, the report and exit status 4, and names each blocked promotion", async () => {
    const out = await tempDir("maspo-floor-");
    const proc = spawnMaspo("floored", ["run", SMALL_SPEC, "--out", out, "--quiet", "--set", "guards.finalMetricFloor=0.99"]);
    const { code } = await proc.exited;
    expect(code, proc.output()).toBe(4);
    expect(proc.output()).toMatch(
      /the returned prompt set breaks a guard floor: guards\.finalMetricFloor 99\.0%: the returned set scores \d+\.\d% on held-out/,
    );
    const report = (await readReport(out)) as Awaited<ReturnType<typeof readReport>> & {
      floorBreaches: { guard: string; where: string; measured: number; floor: number }[];
      guards: { guard: string; detail: string }[];
    };
    expect(report.floorBreaches).toEqual([expect.objectContaining({ guard: "finalMetricFloor", where: "held-out", floor: 0.99 })]);
    // Every promotion the floor blocked says so where it happened; none got through.
    expect(report.guards.length).toBeGreaterThan(0);
    for (const g of report.guards) expect(g.guard).toBe("finalMetricFloor");
  });

  it("exits 0 with no breach when the floors hold", async () => {
    const out = await tempDir("maspo-floor-ok-");
    const proc = spawnMaspo("unfloored", ["run", SMALL_SPEC, "--out", out, "--quiet", "--set", "guards.finalMetricFloor=0.01"]);
    const { code } = await proc.exited;
    expect(code, proc.output()).toBe(0);
    expect(((await readReport(out)) as unknown as { floorBreaches: unknown[] }).floorBreaches).toEqual([]);
  });
});

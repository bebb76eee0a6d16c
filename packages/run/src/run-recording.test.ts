import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSpecFile } from "@maspo/core";
import type { Report } from "@maspo/coordinator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MANIFEST_FILE, openReplay, readManifest, replayDifferences, startRecording, type RecordedRun } from "./run-recording.js";

const SPEC = new URL("../../../examples/math-chain.yaml", import.meta.url).pathname;
const examples = [{ id: "a", input: "1+1", label: "2" }];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "maspo-recording-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(overrides: { path: string; value: unknown }[] = [], ablations: string[] = []): Promise<RecordedRun> {
  return { spec: await loadSpecFile(SPEC, { overrides }), ablations, train: examples, heldOut: examples };
}

const report: Pick<Report, "cost" | "stopReason"> = {
  cost: { calls: 3, tokens: 30, usd: 0.1, cacheHits: 1, retries: 0, failedAttempts: 0, byRole: {}, byModel: [] },
  stopReason: "all rounds done",
};

describe("a run's recording", () => {
  it("is not replayable until the recorded run finished, and then carries its cost", async () => {
    const recording = await startRecording(dir, await run(), "9.9.9", []);
    await expect(readManifest(dir)).rejects.toThrow(/the recording is incomplete \(the recorded run did not finish; 0 exchanges kept\)/);
    await recording.finish(report);
    const manifest = await readManifest(dir);
    expect(manifest).toMatchObject({ complete: true, maspoVersion: "9.9.9", cost: report.cost, stopReason: "all rounds done" });
    expect(Object.keys(manifest.promptVersions).sort()).toEqual(["formatter", "planner", "solver"]);
  });

  it("lists every way a replay differs: spec fields, ablations and the dataset", async () => {
    const recording = await startRecording(dir, await run(), "1", []);
    await recording.finish(report);
    const manifest = await readManifest(dir);
    expect(replayDifferences(manifest, await run())).toEqual([]);
    const other = { ...(await run([{ path: "name", value: "renamed" }], ["no-refresh"])), heldOut: [] };
    const differences = replayDifferences(manifest, other);
    expect(differences[0]).toMatch(/^spec hash: recorded [0-9a-f]{16}, now [0-9a-f]{16}; the spec differs at 1 field\(s\):$/);
    expect(differences.slice(1)).toEqual([
      expect.stringMatching(/^spec\.name: recorded "[^"]+", now "renamed"$/),
      "ablations: recorded [], now [no-refresh]",
      expect.stringMatching(/^dataset \(train and held-out examples\): recorded hash [0-9a-f]{16}, now [0-9a-f]{16}$/),
    ]);
    await expect(openReplay(dir, other)).rejects.toMatchObject({ code: "E_REPLAY_MISMATCH" });
  });

  it("refuses a directory that is not empty, and a manifest of another format", async () => {
    await writeFile(join(dir, "x"), "");
    await expect(startRecording(dir, await run(), "1", [])).rejects.toMatchObject({ code: "E_RECORDING" });
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ format: 99 }));
    await expect(readManifest(dir)).rejects.toThrow(/is not a recording manifest of format 1 \(format: /);
  });

  it("keeps no credentials of a base URL in its manifest", async () => {
    const spec = await run([{ path: "models.sim.baseURL", value: "http://user:pa55word@localhost:8000/v1" }]);
    await (await startRecording(dir, spec, "1", [])).abandon();
    const text = await readFile(join(dir, MANIFEST_FILE), "utf8");
    expect(text).toContain("http://localhost:8000/v1");
    expect(text).not.toContain("pa55word");
  });
});

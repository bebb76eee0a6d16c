/**
 * Code tasks end to end: the bundled MBPP-shaped sample (examples/data/mbpp-sample.jsonl) is sound —
 * its problems are the simlm world code-tests', each reference solution passes its own tests in the
 * sandbox, and the world's right code passes them while its wrong or unfenced code fails them, as the
 * world's own metric says — and examples/code-tests.yaml, run as a user runs it, improves held-out
 * with the tests executed for real (the same spec with broken tests scores 0).
 */
import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type CodeTestsMetric, extractCode } from "@maspo/core";
import { codeTestsScorer, runTestsInSandbox } from "@maspo/run";
import { loadWorld, oracle, runGraphDirect, scoreWorldFinal, type WorldExample } from "@maspo/simlm";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT, removeTempDirs, spawnMaspo, tempDir } from "./fixtures/maspo-processes.js";

afterAll(removeTempDirs);

/** The parts of a spec document these tests rewrite. */
interface SpecDoc {
  name: string;
  task: { metric: unknown };
  dataset: { source: Record<string, unknown> };
}

interface MbppRow {
  task_id: number;
  text: string;
  code: string;
  test_list: string[];
  test_setup_code: string;
}

const SAMPLE = join(ROOT, "examples/data/mbpp-sample.jsonl");
const rows: MbppRow[] = readFileSync(SAMPLE, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as MbppRow);
const world = loadWorld("code-tests");
const METRIC: CodeTestsMetric = {
  kind: "code_tests",
  language: "python",
  tests: "test_list",
  setup: "test_setup_code",
  timeoutMs: 10_000,
  memoryMb: 512,
};

/** A sample row as the world's example: its label is the world's answer (the first constant), read from the reference code. */
function worldExample(row: MbppRow): WorldExample {
  const constant = /\d+/.exec(row.code.slice(row.code.indexOf(":")))?.[0] ?? "";
  return { id: String(row.task_id), input: row.text, label: constant };
}

describe("the bundled MBPP-style sample", () => {
  it("is a handful of MBPP-shaped problems, each with a test list", () => {
    expect(rows.length).toBeGreaterThanOrEqual(30);
    expect(new Set(rows.map((r) => r.task_id)).size).toBe(rows.length);
    for (const r of rows) expect(r.test_list.length).toBeGreaterThanOrEqual(2);
  });

  it("has reference solutions that pass every one of their own tests in the sandbox", async () => {
    const results = await Promise.all(
      rows.map((r) => runTestsInSandbox({ language: "python", code: r.code, tests: r.test_list, timeoutMs: 10_000, memoryMb: 512 })),
    );
    expect(results.map((r, i) => `${rows[i]?.task_id}: ${r.passed}/${r.tests.length}`)).toEqual(
      rows.map((r) => `${r.task_id}: ${r.test_list.length}/${r.test_list.length}`),
    );
  });

  it("agrees with the world: its right code passes the tests, its wrong and its unfenced code fail them", async () => {
    const best = oracle(world).best;
    const unfenced = { ...best, coder: "You are the coder.\n\nWrite Python code that implements the spec.\n\nOutput format: The code." };
    const score = codeTestsScorer(METRIC);
    let right = 0;
    let wrong = 0;
    for (const row of rows) {
      const example = worldExample(row);
      const withTests = { id: example.id, input: row.text, fields: { test_list: row.test_list, test_setup_code: row.test_setup_code } };
      for (let seed = 0; seed < 12; seed++) {
        const run = runGraphDirect(world, best, example, { seed });
        const passRate = await score(run.final, withTests);
        // The world's metric (the oracle's stand-in) and the real tests say the same of every output.
        expect(passRate, `${row.task_id} seed ${seed}: ${run.final}`).toBe(run.score);
        if (run.score === 1) right++;
        else wrong++;
      }
      const inline = runGraphDirect(world, unfenced, example, { seed: 0 });
      expect(inline.final.startsWith("Code: ")).toBe(true);
      expect(await score(inline.final, withTests)).toBe(0);
      expect(scoreWorldFinal(world, example, inline.final)).toBe(0);
    }
    expect(right).toBeGreaterThan(0);
    expect(wrong).toBeGreaterThan(0);
    // The world's right code is the sample's reference code.
    const first = rows[0] as MbppRow;
    for (let seed = 0; seed < 50; seed++) {
      const run = runGraphDirect(world, best, worldExample(first), { seed });
      if (run.score === 1) {
        expect(extractCode(run.final, "python")).toBe(first.code);
        break;
      }
    }
  });
});

interface HeldOut {
  delta: { heldOut: { baseline: number; final: number; examples: number } };
  split?: { hash: string };
}

async function runSpec(file: string, out: string, args: string[] = []): Promise<HeldOut> {
  const proc = spawnMaspo("code-tests", ["run", file, "--out", out, "--quiet", ...args]);
  const { code } = await proc.exited;
  expect(code, proc.output()).toBe(0);
  return JSON.parse(await readFile(join(out, "report.json"), "utf8")) as HeldOut;
}

describe("examples/code-tests.yaml", () => {
  it("improves held-out on simlm, scored by running each problem's tests in the sandbox", { timeout: 300_000 }, async () => {
    const out = await tempDir("maspo-code-tests-");
    const report = await runSpec(join(ROOT, "examples/code-tests.yaml"), out);
    expect(report.split?.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(report.delta.heldOut.examples).toBeGreaterThanOrEqual(20);
    expect(report.delta.heldOut.final).toBeGreaterThan(report.delta.heldOut.baseline + 0.3);
  });

  it("scores 0 throughout when every test fails: the score is what the executed tests say", { timeout: 300_000 }, async () => {
    const dir = await tempDir("maspo-code-tests-");
    const broken = rows.map((r) => JSON.stringify({ ...r, test_list: r.test_list.map((t) => `${t} and False`) }));
    await writeFile(join(dir, "broken.jsonl"), `${broken.join("\n")}\n`);
    const spec = parse(await readFile(join(ROOT, "examples/code-tests.yaml"), "utf8")) as SpecDoc;
    spec.dataset.source.file = join(dir, "broken.jsonl");
    const file = join(dir, "spec.json");
    await writeFile(file, JSON.stringify(spec));
    const report = await runSpec(file, join(dir, "out"), [
      "--set",
      "search.rounds=1",
      "--set",
      "search.reason=one round: every test fails whatever the search does",
    ]);
    expect(report.delta.heldOut.baseline).toBe(0);
    expect(report.delta.heldOut.final).toBe(0);
  });
});

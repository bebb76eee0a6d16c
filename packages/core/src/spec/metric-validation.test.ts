import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Issue } from "../errors.js";
import { validateSpec } from "./validate.js";

type Json = Record<string, unknown>;

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), "maspo-spec-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

function spec(metric: Json, source: Json): Json {
  return {
    task: { name: "t", input: { description: "i" }, output: { description: "o" }, metric },
    models: { sim: { baseURL: "simlm://code-tests", model: "sim", price: { inputPerMTok: 0, outputPerMTok: 0 } } },
    graph: { topology: "sequential", final: "coder", agents: [{ id: "coder", role: "coder", model: "sim" }] },
    prompts: { coder: "You are the coder." },
    dataset: { source, heldOutUsedForTuning: false },
    evaluation: { model: "sim" },
    optimizer: { model: "sim" },
    guards: { finalMetricFloor: null, localValidityFloor: null, tokensPerRoundMax: null },
    stop: { deadline: "30m" },
  };
}

async function validate(raw: Json, baseDir: string): Promise<{ ok: boolean; issues: Issue[]; spec?: unknown }> {
  const r = await validateSpec(raw, { env: {}, baseDir });
  return r.ok ? { ok: true, issues: [], spec: r.spec } : { ok: false, issues: r.issues };
}

const paths = (issues: readonly Issue[]) => issues.map((i) => i.path).sort();
const MBPP = [
  { task_id: 1, text: "Write add.", test_list: ["assert add(1, 2) == 3"] },
  { task_id: 2, text: "Write sub.", test_list: ["assert sub(3, 2) == 1"] },
  { task_id: 3, text: "Write mul.", test_list: ["assert mul(2, 2) == 4"] },
  { task_id: 4, text: "Write neg.", test_list: ["assert neg(1) == -1"] },
]
  .map((r) => JSON.stringify(r))
  .join("\n");

describe("validation of the module metric", () => {
  it("accepts an ES module exporting the named function, and makes its path absolute", async () => {
    const d = dir({ "metric.mjs": "export function score() { return 1; }", "all.jsonl": MBPP });
    const r = await validate(
      spec(
        { kind: "module", path: "metric.mjs", export: "score" },
        { kind: "jsonl", file: "all.jsonl", split: { heldOut: 0.5 }, fields: { id: "task_id", input: "text" } },
      ),
      d,
    );
    expect(r.issues).toEqual([]);
    expect((r.spec as { task: { metric: { path: string } } }).task.metric.path).toBe(join(d, "metric.mjs"));
  });

  it("names a missing file, a .ts file and a missing export", async () => {
    const d = dir({ "m.mjs": "export const score = 1;", "m.ts": "export default () => 1;", "all.jsonl": MBPP });
    const source = { kind: "jsonl", file: "all.jsonl", split: { heldOut: 0.5 }, fields: { id: "task_id", input: "text" } };
    const missing = await validate(spec({ kind: "module", path: "nope.mjs" }, source), d);
    expect(missing.issues).toEqual([expect.objectContaining({ path: "task.metric.path", found: `no file at ${join(d, "nope.mjs")}` })]);
    const ts = await validate(spec({ kind: "module", path: "m.ts" }, source), d);
    expect(ts.issues[0]).toMatchObject({ path: "task.metric.path", hint: expect.stringMatching(/compile it/) });
    const notFn = await validate(spec({ kind: "module", path: "m.mjs", export: "score" }, source), d);
    expect(notFn.issues[0]).toMatchObject({ path: "task.metric.export", found: "an export of type number" });
  });
});

describe("validation of code_tests and file datasets", () => {
  it("names every held-out example without tests in the metric's field", async () => {
    const d = dir({ "all.jsonl": `${MBPP}\n{"task_id": 5, "text": "Write inc."}\n{"task_id": 6, "text": "Write dec."}` });
    const r = await validate(
      spec(
        { kind: "code_tests", tests: "test_list" },
        { kind: "jsonl", train: "all.jsonl", heldOut: "all.jsonl", fields: { id: "task_id", input: "text" } },
      ),
      d,
    );
    const issue = r.issues.find((i) => /unit tests on every held-out example/.test(i.expected));
    expect(issue?.found).toBe("2 examples without it: all.jsonl:5, all.jsonl:6");
  });

  it("reports every problem at once: a ratio outside (0, 1), a missing CSV column, an unknown metric key", async () => {
    const d = dir({ "all.csv": "id,question\n1,a\n2,b\n" });
    const r = await validate(
      spec({ kind: "code_tests", tset: "x" }, { kind: "csv", file: "all.csv", split: { heldOut: 1.5 }, fields: { input: "prompt" } }),
      d,
    );
    expect(r.ok).toBe(false);
    expect(paths(r.issues)).toEqual(expect.arrayContaining(["dataset.source.split.heldOut", "task.metric.tset"]));
    const zero = await validate(
      spec({ kind: "code_tests" }, { kind: "csv", file: "all.csv", split: { heldOut: 0 }, fields: { input: "prompt" } }),
      d,
    );
    expect(zero.issues.find((i) => i.path === "dataset.source.split.heldOut")?.expected).toBe("a number > 0");
    const column = await validate(
      spec({ kind: "judge" }, { kind: "csv", file: "all.csv", split: { heldOut: 0.5 }, fields: { input: "prompt" } }),
      d,
    );
    expect(column.issues).toEqual([
      expect.objectContaining({ path: "dataset.source.fields.input", found: 'no column "prompt" (its columns: id, question)' }),
    ]);
  });

  it("refuses duplicate ids within one file that is split, wherever they land", async () => {
    const d = dir({ "all.jsonl": '{"id": "a", "input": "x"}\n{"id": "b", "input": "y"}\n{"id": "a", "input": "z"}\n' });
    const r = await validate(spec({ kind: "judge" }, { kind: "jsonl", file: "all.jsonl", split: { heldOut: 0.5 } }), d);
    expect(r.issues).toEqual([expect.objectContaining({ path: "all.jsonl:3", found: 'id "a" again (first at all.jsonl:1)' })]);
  });
});

describe("validation of multiple_choice", () => {
  it("names held-out labels that pick none of the choices", async () => {
    const r = await validate(
      spec(
        { kind: "multiple_choice", choices: "ABCD" },
        {
          kind: "inline",
          train: [{ id: "t", input: "q?", label: "A" }],
          heldOut: [
            { id: "h1", input: "q1?", label: "(B)" },
            { id: "h2", input: "q2?", label: "E" },
          ],
        },
      ),
      "/",
    );
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]?.found).toBe('1 label naming none: dataset.source.heldOut[1] ("E")');
  });

  it("refuses choices that are not distinct capital letters", async () => {
    const r = await validate(
      spec(
        { kind: "multiple_choice", choices: "AAB" },
        { kind: "inline", train: [{ id: "t", input: "q?" }], heldOut: [{ id: "h", input: "r?", label: "A" }] },
      ),
      "/",
    );
    expect(r.issues.map((i) => i.path)).toContain("task.metric.choices");
  });
});

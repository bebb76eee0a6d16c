import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { heldOutCount, loadDataset, readDataset } from "./dataset.js";

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), "maspo-data-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

const CSV = ["task_id,question,answer,test_list", '1,"What is 2+2, roughly?",4,"[""assert f() == 4""]"', "2,What is 3+3?,6,", ""].join(
  "\n",
);

describe("datasets from files with a field mapping", () => {
  it("reads a CSV file: the named columns make id, input and label, every other column goes to example.fields", async () => {
    const d = dir({ "train.csv": CSV, "heldout.csv": "task_id,question,answer,test_list\n3,What is 4+4?,8,x\n" });
    const splits = await loadDataset(
      { kind: "csv", train: "train.csv", heldOut: "heldout.csv", fields: { id: "task_id", input: "question", label: "answer" } },
      { baseDir: d },
    );
    expect(splits.train).toEqual([
      { id: "1", input: "What is 2+2, roughly?", label: "4", fields: { test_list: '["assert f() == 4"]' } },
      { id: "2", input: "What is 3+3?", label: "6", fields: { test_list: "" } },
    ]);
    expect(splits.heldOut).toEqual([{ id: "3", input: "What is 4+4?", label: "8", fields: { test_list: "x" } }]);
  });

  it("reads a JSON array and JSONL records, keeping the extra fields' values as they are", async () => {
    const rows = [{ task_id: 11, text: "Write f.", test_list: ["assert f() == 1"], meta: { level: 2 } }];
    const d = dir({ "all.json": JSON.stringify(rows), "all.jsonl": `${JSON.stringify(rows[0])}\n` });
    const fields = { id: "task_id", input: "text" };
    const json = await readDataset({ kind: "json", train: "all.json", heldOut: "all.json", fields }, d);
    const jsonl = await readDataset({ kind: "jsonl", train: "all.jsonl", heldOut: "all.jsonl", fields }, d);
    const expected = { id: "11", input: "Write f.", fields: { test_list: ["assert f() == 1"], meta: { level: 2 } } };
    expect(json.train.map((e) => e.example)).toEqual([expected]);
    expect(jsonl.train.map((e) => e.example)).toEqual([expected]);
    expect(json.train[0]?.where).toBe("all.json[0]");
    expect(jsonl.train[0]?.where).toBe("all.jsonl:1");
  });

  it("names a mapped column the file does not have at its fields key, once, with the file's columns", async () => {
    const d = dir({ "train.csv": CSV, "heldout.csv": CSV });
    const read = await readDataset(
      { kind: "csv", train: "train.csv", heldOut: "heldout.csv", fields: { id: "task_id", input: "questoin" } },
      d,
    );
    const issues = read.issues.filter((i) => i.path === "dataset.source.fields.input");
    expect(issues).toHaveLength(2);
    expect(issues[0]?.found).toBe('no column "questoin" (its columns: task_id, question, answer, test_list)');
    expect(issues[0]?.hint).toMatch(/question/);
  });

  it("refuses an unknown key without a mapping, pointing at fields", async () => {
    const d = dir({ "t.jsonl": '{"id": "1", "input": "a", "test_list": ["x"]}\n' });
    const read = await readDataset({ kind: "jsonl", train: "t.jsonl", heldOut: "t.jsonl" }, d);
    expect(read.issues[0]?.path).toBe("t.jsonl:1.test_list");
    expect(read.issues[0]?.hint).toMatch(/dataset.source.fields/);
  });

  it("names a record whose mapped input is empty, by file and line", async () => {
    const d = dir({ "t.csv": "id,q\n1,\n2,fine\n" });
    const read = await readDataset({ kind: "csv", train: "t.csv", heldOut: "t.csv", fields: { input: "q" } }, d);
    expect(read.issues.map((i) => `${i.path}: ${i.found}`)).toContain("t.csv:2.q: an empty value");
  });
});

describe("inline examples", () => {
  it("carry their own fields for the metric", async () => {
    const example = { id: "1", input: "Write f.", fields: { tests: ["assert f() == 1"] } };
    const splits = await loadDataset({ kind: "inline", train: [example], heldOut: [{ ...example, id: "2", input: "Write g." }] });
    expect(splits.train).toEqual([example]);
  });
});

describe("one file split by a seeded ratio", () => {
  const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: `p${i}`, input: `problem ${i}` })).join("\n");

  it("holds out round(n × ratio) records, both sides in file order, the same for the same seed", async () => {
    const d = dir({ "all.jsonl": lines });
    const source = { kind: "jsonl" as const, file: "all.jsonl", split: { heldOut: 0.25, seed: 3 } };
    const a = await loadDataset(source, { baseDir: d });
    const b = await loadDataset(source, { baseDir: d });
    expect(a.heldOut).toHaveLength(5);
    expect(a.train).toHaveLength(15);
    expect(a).toEqual(b);
    const order = (xs: { id: string }[]) => xs.map((e) => Number(e.id.slice(1)));
    expect(order(a.train)).toEqual([...order(a.train)].sort((x, y) => x - y));
    expect(new Set([...a.train, ...a.heldOut].map((e) => e.id)).size).toBe(20);
    expect(a.split).toMatchObject({ file: "all.jsonl", heldOutRatio: 0.25, seed: 3, train: 15, heldOut: 5 });
    expect(a.split?.hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it("gives another split, and another hash, under another seed or ratio", async () => {
    const d = dir({ "all.jsonl": lines });
    const split = (heldOut: number, seed: number) =>
      loadDataset({ kind: "jsonl", file: "all.jsonl", split: { heldOut, seed } }, { baseDir: d });
    const [a, b, c] = await Promise.all([split(0.25, 3), split(0.25, 4), split(0.3, 3)]);
    expect(b.heldOut.map((e) => e.id)).not.toEqual(a.heldOut.map((e) => e.id));
    expect(new Set([a.split?.hash, b.split?.hash, c.split?.hash]).size).toBe(3);
  });

  it("keeps at least one example on each side", () => {
    expect(heldOutCount(2, 0.01)).toBe(1);
    expect(heldOutCount(2, 0.99)).toBe(1);
    expect(heldOutCount(10, 0.2)).toBe(2);
  });

  it("refuses a layout that is neither two files nor one file and a split, naming the field", async () => {
    const both = await readDataset({ kind: "csv", train: "a.csv", heldOut: "b.csv", file: "c.csv", split: { heldOut: 0.2, seed: 0 } }, "/");
    expect(both.issues.map((i) => i.path)).toEqual(["dataset.source.file"]);
    const noSplit = await readDataset({ kind: "csv", file: "c.csv" }, "/");
    expect(noSplit.issues.map((i) => i.path)).toEqual(["dataset.source.split"]);
    const nothing = await readDataset({ kind: "json" }, "/");
    expect(nothing.issues.map((i) => i.path)).toEqual(["dataset.source.train", "dataset.source.heldOut"]);
    await expect(loadDataset({ kind: "json" })).rejects.toBeInstanceOf(ValidationError);
  });
});

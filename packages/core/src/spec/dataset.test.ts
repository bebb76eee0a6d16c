import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MaspoError, ValidationError } from "../errors.js";
import { loadDataset } from "./dataset.js";

describe("loadDataset", () => {
  it("returns inline examples as given, ids and labels as strings", async () => {
    const splits = await loadDataset({
      kind: "inline",
      train: [{ id: "1", input: "a", label: "x" }],
      heldOut: [{ id: "2", input: "b" }],
    });
    expect(splits).toEqual({ train: [{ id: "1", input: "a", label: "x" }], heldOut: [{ id: "2", input: "b" }] });
  });

  it("reads JSONL files, skipping blank lines", async () => {
    const dir = mkdtempSync(join(tmpdir(), "maspo-data-"));
    writeFileSync(join(dir, "train.jsonl"), '{"id": 1, "input": "a", "label": 5}\n\n');
    writeFileSync(join(dir, "heldout.jsonl"), '{"id": "h", "input": "b"}\n');
    const splits = await loadDataset({ kind: "jsonl", train: "train.jsonl", heldOut: "heldout.jsonl" }, { baseDir: dir });
    expect(splits).toEqual({ train: [{ id: "1", input: "a", label: "5" }], heldOut: [{ id: "h", input: "b" }] });
  });

  it("throws a ValidationError naming file:line for a malformed line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "maspo-data-"));
    writeFileSync(join(dir, "train.jsonl"), '{"id": "1", "input": "a"}\n[1, 2]\n');
    writeFileSync(join(dir, "heldout.jsonl"), '{"id": "h", "input": "b"}\n');
    const error = await loadDataset({ kind: "jsonl", train: "train.jsonl", heldOut: "heldout.jsonl" }, { baseDir: dir }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(["train.jsonl:2"]);
  });

  it("refuses a simlm dataset, which simlm generates", async () => {
    const error = await loadDataset({ kind: "simlm", world: "math-chain" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MaspoError);
    expect((error as MaspoError).code).toBe("E_DATASET_SIMLM");
  });
});

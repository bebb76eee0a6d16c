import { describe, expect, it } from "vitest";
import { splitSizeIssues } from "./dataset-checks.js";
import type { DatasetRead, LocatedExample } from "./dataset.js";

describe("splitSizeIssues", () => {
  it("refuses a file split of more than 1000000 examples, naming the file, and passes one at the bound", () => {
    // Only the length is read: sparse arrays stand in for a million parsed lines.
    const read = (train: number): DatasetRead => ({
      train: new Array<LocatedExample>(train),
      heldOut: new Array<LocatedExample>(10),
      issues: [],
    });
    const at = (split: "train" | "heldOut") => (split === "train" ? "train.jsonl" : "heldout.jsonl");
    expect(splitSizeIssues(read(1_000_001), at)).toEqual([
      { path: "train.jsonl", expected: "at most 1000000 examples in the train split", found: "1000001 examples" },
    ]);
    expect(splitSizeIssues(read(1_000_000), at)).toEqual([]);
  });
});

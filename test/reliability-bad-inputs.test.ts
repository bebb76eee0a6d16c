/**
 * The short version of the reliability suite's bad-input corpus (the bench feeds all of its 80-odd
 * inputs): one or two of each kind, among them the holes issue 15 found — a round count and a
 * simlm train size that validated and then ran out of memory, a metric regex without a capture
 * group, an unknown world, a YAML alias bomb, a run id checked only after connecting, credentials
 * inside the --nats URL, a forged result — each a clear error (exit 2 naming the field, or exit 1
 * with an E_ code) or contained.
 */
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "./fixtures/maspo-processes.js";
import { measureBadInputs } from "./reliability/bad-inputs.js";
import { describeRows, unmetCorrectness } from "./reliability/figures.js";

afterAll(removeTempDirs);

const SAMPLE = [
  "rounds-huge",
  "train-huge",
  "regex-no-group",
  "endpoint-world-unknown",
  "yaml-alias-bomb",
  "jsonl-broken-line",
  "run-id-invalid",
  "nats-url-credentials",
  "checkpoint-truncated",
  "cache-entry-corrupt",
  "forged-payload",
];

describe("reliability: bad inputs", () => {
  it("each get a clear error or are contained", async () => {
    const result = await measureBadInputs({ only: SAMPLE });
    expect(result.rows.map((r) => r.id).sort()).toEqual([...SAMPLE].sort());
    expect(unmetCorrectness(result), describeRows(result)).toEqual([]);
  }, 240_000);
});

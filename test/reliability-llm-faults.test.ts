/**
 * The short version of the reliability suite's LLM-fault case (the bench adds 10% faults with
 * timeouts over several seeds, and faults the task's redelivery rescues — the latter also proven by
 * test/run-paths-agree.test.ts): calls failing beyond the client's maxRetries and beyond the task's
 * deliveries stop the run mid-way with a clear error naming the endpoint, embedded and on a cluster alike.
 */
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "./fixtures/maspo-processes.js";
import { describeRows, unmetCorrectness } from "./reliability/figures.js";
import { BEYOND_RETRIES_LASTING, measureLlmFaults } from "./reliability/llm-faults.js";

afterAll(removeTempDirs);

describe("reliability: LLM faults beyond every retry", () => {
  it("stop the run with exit 1 and a clear error naming the endpoint, embedded and cluster alike", async () => {
    const result = await measureLlmFaults({ scenarios: [BEYOND_RETRIES_LASTING] });
    expect(unmetCorrectness(result), describeRows(result)).toEqual([]);
    expect(result.rows.map((r) => `${String(r.mode)}: ${String(r.outcome)}, exit ${String(r.exit)}`)).toEqual([
      "embedded: clear error, exit 1",
      "cluster: clear error, exit 1",
    ]);
  }, 120_000);
});

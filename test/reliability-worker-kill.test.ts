/**
 * The short version of the reliability suite's worker-kill case (the bench runs it × 20): a random
 * worker killed with SIGKILL at a random moment of a cluster run loses no task, changes no final
 * prompt, and no LLM call is answered twice beyond the calls the killed worker had in flight.
 */
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "./fixtures/maspo-processes.js";
import { describeRows, unmetCorrectness } from "./reliability/figures.js";
import { measureWorkerKills } from "./reliability/worker-kill.js";

afterAll(removeTempDirs);

describe("reliability: a worker killed at a random moment", () => {
  it("loses no task, drifts nothing and repeats only the killed worker's calls in flight", async () => {
    const result = await measureWorkerKills({ repeats: 1, seed: 7, ackWaitMs: 2000 });
    expect(unmetCorrectness(result), describeRows(result)).toEqual([]);
    expect(result.rows[0]?.killed, "the kill must land before the run ends").toBe(true);
  }, 200_000);
});

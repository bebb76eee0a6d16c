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
    // The ack wait is what a redelivery waits for after the kill. At 2 s a live worker's heartbeat
    // (every ackWait/3) can fall behind under a full test run's CPU load, and the task then goes to a
    // second worker while the first still asks its calls — duplicate asks this test counts against
    // the run (one full run saw two; not reproduced alone, that is the likely cause). 5 s keeps the
    // recovery quick and heartbeat lapses out of the measure; the bench runs the suite's default.
    const result = await measureWorkerKills({ repeats: 1, seed: 7, ackWaitMs: 5000 });
    expect(unmetCorrectness(result), describeRows(result)).toEqual([]);
    expect(result.rows[0]?.killed, "the kill must land before the run ends").toBe(true);
  }, 200_000);
});

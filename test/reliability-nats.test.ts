/**
 * The short version of the reliability suite's NATS outage case (the bench repeats it): nats-server
 * killed with SIGKILL mid-run and restarted on its store — the run completes with the embedded run's
 * final prompts, and some process of the run logs the outage. (The bench's other outage case, a
 * 3-node cluster losing a node, has its short version in test/cluster-replicas.test.ts.)
 */
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "./fixtures/maspo-processes.js";
import { describeRows, unmetCorrectness } from "./reliability/figures.js";
import { measureNatsRestarts } from "./reliability/nats-outage.js";

afterAll(removeTempDirs);

describe("reliability: nats-server killed with SIGKILL mid-run and restarted", () => {
  it("loses and changes nothing, and the outage is logged", async () => {
    const result = await measureNatsRestarts({ repeats: 1, seed: 2 });
    expect(unmetCorrectness(result), describeRows(result)).toEqual([]);
    expect(result.rows[0]?.killed, "the kill must land before the run ends").toBe(true);
  }, 200_000);
});

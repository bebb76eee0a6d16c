/**
 * The short version of the reliability suite's canary case, embedded (the cluster's is proven by
 * test/cluster-security.test.ts; the bench runs both): an endpoint key that is a canary value leaves
 * no byte of itself in the run's output, metrics, checkpoint, report files or response cache.
 */
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "./fixtures/maspo-processes.js";
import { measureCanary } from "./reliability/canary.js";
import { describeRows, unmetCorrectness } from "./reliability/figures.js";

afterAll(removeTempDirs);

describe("reliability: a canary API key in an embedded run", () => {
  it("is found in no log, metric, checkpoint, report or cache", async () => {
    const result = await measureCanary({ modes: ["embedded"] });
    expect(unmetCorrectness(result), describeRows(result)).toEqual([]);
    expect(Number(result.rows[0]?.llmCalls), "the keyed endpoint must have been called").toBeGreaterThan(0);
    expect(Number(result.rows[0]?.cacheFiles), "the cache must have been searched").toBeGreaterThan(0);
  }, 120_000);
});

/**
 * The short version of the reliability suite's auth case, another account (unauthenticated, wrong
 * password and wrong role are proven by test/cluster-security.test.ts and
 * test/cluster-permissions.test.ts; the bench measures them all): a client of another account on
 * the same server, during a live run, sees none of its messages, finds none of its streams, cannot
 * resume it, and a result it forges does not reach it.
 */
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "./fixtures/maspo-processes.js";
import { measureAuth } from "./reliability/auth.js";
import { describeRows, unmetCorrectness } from "./reliability/figures.js";

afterAll(removeTempDirs);

describe("reliability: a client of another NATS account", () => {
  it("reaches nothing of a live run", async () => {
    const result = await measureAuth({ servers: ["accounts"] });
    expect(result.rows).toHaveLength(4);
    expect(unmetCorrectness(result), describeRows(result)).toEqual([]);
  }, 120_000);
});

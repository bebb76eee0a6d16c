/**
 * The short version of the reliability suite's coordinator case (the bench runs it × 10 per mode): a
 * priced run with a $ budget and a token guard, its coordinator killed with SIGKILL at a random step
 * and resumed, ends exactly as the uninterrupted run — embedded and on a cluster — and answers no LLM
 * call twice beyond those the killed process had in flight.
 */
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "./fixtures/maspo-processes.js";
import { measureCoordinatorResumes } from "./reliability/coordinator-resume.js";
import { describeRows, unmetCorrectness } from "./reliability/figures.js";

afterAll(removeTempDirs);

describe("reliability: a coordinator killed at a random step and resumed", () => {
  it("ends with the uninterrupted run's prompts, stop, guard events and cost, embedded and cluster alike", async () => {
    const results = await measureCoordinatorResumes({ repeats: 1, seed: 3 });
    expect(results.map((r) => r.id)).toEqual(["coordinator-resume-embedded", "coordinator-resume-cluster"]);
    for (const result of results) {
      expect(unmetCorrectness(result), `${result.id}:\n${describeRows(result)}`).toEqual([]);
      expect(result.rows[0]?.killed, "the kill must land before the run ends").toBe(true);
    }
  }, 300_000);
});

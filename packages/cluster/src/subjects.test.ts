import { describe, expect, test } from "vitest";
import { ValidationError } from "@maspo/core";
import { deadLetterSubject, resultSubject, runBucketNames, runStreamNames, workConsumerName, workSubject } from "./subjects.js";

describe("subjects", () => {
  test("work, result and dead-letter subjects are namespaced by run and role", () => {
    expect(workSubject("run-7", "evaluator")).toBe("maspo.run-7.work.evaluator");
    expect(resultSubject("run-7", "evaluator")).toBe("maspo.run-7.result.evaluator");
    expect(deadLetterSubject("run-7")).toBe("maspo.run-7.dead");
  });

  test("stream, consumer and bucket names are derived from the run id", () => {
    expect(runStreamNames("Run_1")).toEqual({ work: "MASPO_Run_1_WORK", results: "MASPO_Run_1_RESULTS", dead: "MASPO_Run_1_DEAD" });
    expect(workConsumerName("mutator")).toBe("maspo-mutator");
    expect(runBucketNames("Run_1")).toEqual({ checkpoints: "maspo_Run_1_checkpoints" });
  });

  test.each(["a.b", "a*", "a>", "with space", "", "x".repeat(65)])("run id %j is refused, as it would break subjects or names", (runId) => {
    expect(() => workSubject(runId, "executor")).toThrow(ValidationError);
  });
});

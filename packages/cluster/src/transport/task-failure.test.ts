import { describe, expect, test } from "vitest";
import { MaspoError } from "@maspo/core";
import { describeFailure, retryDelayMs, shouldRetry } from "./task-failure.js";
import { TaskFailedError } from "./transport-errors.js";

describe("task failures", () => {
  test("a TaskFailedError keeps its code and retryable flag", () => {
    expect(describeFailure(new TaskFailedError("E_LLM_RATE_LIMITED", "429", { retryable: true }))).toEqual({
      code: "E_LLM_RATE_LIMITED",
      message: "429",
      retryable: true,
    });
  });

  test("any error with retryable: true is retryable; plain errors and MaspoErrors are not", () => {
    expect(describeFailure(Object.assign(new Error("timeout"), { retryable: true })).retryable).toBe(true);
    expect(describeFailure(new Error("boom"))).toEqual({ code: "E_TASK_FAILED", message: "Error: boom", retryable: false });
    expect(describeFailure(new MaspoError("E_SPEC_UNVALIDATED", "bad"))).toEqual({
      code: "E_SPEC_UNVALIDATED",
      message: "bad",
      retryable: false,
    });
    expect(describeFailure("a string")).toEqual({ code: "E_TASK_FAILED", message: "a string", retryable: false });
  });

  test("retry delays follow the schedule, then keep doubling up to the cap, each with jitter in [half, all]", () => {
    const settings = { backoffMs: [100, 400], maxBackoffMs: 1000 };
    const ceilings = [100, 400, 800, 1000, 1000];
    ceilings.forEach((ceiling, i) => {
      const delay = retryDelayMs(settings, "task-1", i + 1);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    });
  });

  test("the jitter is reproducible per task and delivery, and differs between tasks", () => {
    const settings = { backoffMs: [10_000], maxBackoffMs: 60_000 };
    expect(retryDelayMs(settings, "a", 1)).toBe(retryDelayMs(settings, "a", 1));
    const delays = new Set(["a", "b", "c", "d", "e"].map((id) => retryDelayMs(settings, id, 1)));
    expect(delays.size).toBeGreaterThan(1);
  });

  test("only retryable failures with deliveries left are retried", () => {
    const retryable = { code: "E", message: "", retryable: true };
    expect(shouldRetry(retryable, 1, 3)).toBe(true);
    expect(shouldRetry(retryable, 3, 3)).toBe(false);
    expect(shouldRetry({ ...retryable, retryable: false }, 1, 3)).toBe(false);
  });
});

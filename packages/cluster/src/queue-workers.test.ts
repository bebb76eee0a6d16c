import { describe, expect, it } from "vitest";
import { TaskFailedResultError } from "./queue-workers.js";

describe("TaskFailedResultError", () => {
  it("types the worker's code when the catalogue has it, and keeps the record's string either way", () => {
    const known = new TaskFailedResultError("runGraph", "t1", { code: "E_LLM_HTTP", message: "401", retryable: false }, 1);
    expect(known.code).toBe("E_CLUSTER_TASK");
    expect(known.workerCode).toBe("E_LLM_HTTP");
    const foreign = new TaskFailedResultError("runGraph", "t2", { code: "E_FROM_A_NEWER_WORKER", message: "?", retryable: false }, 3);
    expect(foreign.workerCode).toBeUndefined();
    expect(foreign.taskError.code).toBe("E_FROM_A_NEWER_WORKER");
    expect(foreign.message).toBe("runGraph task t2 failed after 3 attempts: E_FROM_A_NEWER_WORKER: ?");
  });
});

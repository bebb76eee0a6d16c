import { TaskIdSchema } from "./ids.js";
import { describe, expect, it } from "vitest";
import { taskIdFor } from "./task-kinds.js";

describe("task ids", () => {
  const req = { prompts: { a: "x", b: "y" }, example: { id: "e1", input: "1+1" } };

  it("are the same for the same request however its keys are ordered", () => {
    const reordered = { example: { input: "1+1", id: "e1" }, prompts: { b: "y", a: "x" } };
    expect(taskIdFor("runGraph", reordered)).toBe(taskIdFor("runGraph", req));
  });

  it("differ by kind, by request and by attempt, and are valid task ids", () => {
    const ids = [
      taskIdFor("runGraph", req),
      taskIdFor("evaluate", req),
      taskIdFor("runGraph", { ...req, prompts: { a: "x", b: "z" } }),
      taskIdFor("runGraph", req, 2),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(TaskIdSchema.safeParse(id).success).toBe(true);
    expect(ids[3]).toBe(`${ids[0]}.r2`);
  });
});

import { describe, expect, it } from "vitest";
import { type MisalignmentCase, strongestPerAgent } from "./misalignment-case.js";

const mk = (id: string, agentId: string, strength: number): MisalignmentCase => ({
  id,
  agentId,
  promptVersion: "v",
  exampleId: id,
  source: "evaluation",
  lostOn: "global",
  traceExcerpt: { input: "", output: "", downstream: "" },
  failureCaused: "",
  category: "c",
  strength,
});

describe("strongestPerAgent", () => {
  it("keeps the strongest n per agent, breaking ties by id, and drops repeated ids", () => {
    const cases = [mk("b", "x", 0.5), mk("a", "x", 0.5), mk("c", "x", 0.9), mk("d", "y", 0.1), mk("c", "x", 0.6)];
    expect(strongestPerAgent(cases, 2).map((c) => c.id)).toEqual(["c", "a", "d"]);
    expect(strongestPerAgent(cases, 0)).toEqual([]);
  });
});

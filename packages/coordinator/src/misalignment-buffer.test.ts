import { describe, expect, it } from "vitest";
import { type BufferedCase, MisalignmentBuffer } from "./misalignment-buffer.js";

const mk = (id: string, strength: number, round: number, agentId = "a"): BufferedCase => ({
  id,
  agentId,
  exampleId: `ex-${id}`,
  promptVersion: "v",
  category: "global:wrong-final-answer",
  strength,
  round,
});

describe("MisalignmentBuffer", () => {
  it("keeps the strongest cases per agent within the budget", () => {
    const buffer = new MisalignmentBuffer(2);
    buffer.add([mk("x", 0.2, 1), mk("y", 0.9, 1), mk("z", 0.5, 1), mk("w", 0.1, 1, "b")]);
    expect(buffer.forAgent("a").map((c) => c.id)).toEqual(["y", "z"]);
    expect(buffer.size()).toBe(3);
  });

  it("prefers a newer case over an older one of equal strength, so a full buffer still takes in new cases", () => {
    const buffer = new MisalignmentBuffer(2);
    // "a…" ids sort before "z…", so an id tie-break alone would keep the old cases forever.
    buffer.add([mk("a1", 1, 1), mk("a2", 1, 1)]);
    buffer.add([mk("z1", 1, 4)]);
    expect(buffer.forAgent("a").map((c) => c.id)).toEqual(["z1", "a1"]);
    expect(buffer.strongest("a", 1).map((c) => c.id)).toEqual(["z1"]);
  });

  it("ignores a case whose id it already holds", () => {
    const buffer = new MisalignmentBuffer(5);
    buffer.add([mk("x", 0.5, 1)]);
    buffer.add([mk("x", 0.9, 3)]);
    expect(buffer.forAgent("a")).toEqual([mk("x", 0.5, 1)]);
  });

  it("round-trips through JSON", () => {
    const buffer = new MisalignmentBuffer(3);
    buffer.add([mk("x", 0.5, 1), mk("y", 0.7, 2, "b")]);
    expect(MisalignmentBuffer.fromJSON(3, buffer.toJSON()).toJSON()).toEqual(buffer.toJSON());
  });
});

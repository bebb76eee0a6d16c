import { describe, expect, it } from "vitest";
import { allComponents, roundRobin } from "./gepa-components.js";

describe("GEPA's component selectors", () => {
  const components = ["planner", "solver", "formatter"];

  it("round robin takes one component and advances the candidate's pointer, wrapping around", () => {
    let pointer = 0;
    const chosen: string[][] = [];
    for (let i = 0; i < 4; i++) {
      const c = roundRobin(pointer, components);
      chosen.push(c.chosen);
      pointer = c.pointer;
    }
    expect(chosen).toEqual([["planner"], ["solver"], ["formatter"], ["planner"]]);
    expect(pointer).toBe(1);
  });

  it("all takes every component and leaves the pointer", () => {
    expect(allComponents(2, components)).toEqual({ chosen: components, pointer: 2 });
  });
});

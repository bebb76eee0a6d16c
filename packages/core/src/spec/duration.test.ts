import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.js";

describe("parseDuration", () => {
  it("reads units and combinations", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("30m")).toBe(1_800_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("250ms")).toBe(250);
  });

  it("rejects text, bare numbers and zero", () => {
    expect(parseDuration("half an hour")).toBeUndefined();
    expect(parseDuration("30")).toBeUndefined();
    expect(parseDuration("0s")).toBeUndefined();
  });
});

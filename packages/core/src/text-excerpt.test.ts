import { describe, expect, it } from "vitest";
import { excerpt } from "./text-excerpt.js";

describe("excerpt", () => {
  it("keeps short text whole and marks a cut within the bound", () => {
    expect(excerpt("  short  ", 20)).toBe("short");
    const cut = excerpt("a".repeat(50), 20);
    expect(cut.length).toBeLessThanOrEqual(20);
    expect(cut.endsWith(" […]")).toBe(true);
  });
});

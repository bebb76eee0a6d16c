import { describe, expect, it } from "vitest";
import { RpmCap, requestedModel } from "./rpm-cap.js";

describe("RpmCap", () => {
  it("admits rpm requests per model in any 60 s, refuses the next with the wait until the oldest leaves, and counts both", () => {
    let now = 0;
    const cap = new RpmCap(2, () => now);
    expect(cap.admit("a")).toEqual({ ok: true });
    now = 10_000;
    expect(cap.admit("a")).toEqual({ ok: true });
    expect(cap.admit("b")).toEqual({ ok: true });
    now = 30_000;
    expect(cap.admit("a")).toEqual({ ok: false, retryAfterMs: 30_000 });
    now = 60_001;
    expect(cap.admit("a")).toEqual({ ok: true });
    expect(cap.stats()).toEqual({ rpm: 2, admitted: { a: 3, b: 1 }, rateLimited: { a: 1 }, busiestMinute: { a: 2, b: 1 } });
  });

  it("reads the model of a chat completion body, and nothing from a body that is not one", () => {
    expect(requestedModel(JSON.stringify({ model: "sim-agent", messages: [] }))).toBe("sim-agent");
    expect(requestedModel("{not json")).toBeUndefined();
    expect(requestedModel("[1]")).toBeUndefined();
  });
});

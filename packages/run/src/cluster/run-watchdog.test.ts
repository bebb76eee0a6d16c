/** The cluster coordinator watchdog's default stall bound (run-watchdog.ts): derived from the queue settings, bounded below. */
import { describe, expect, it } from "vitest";
import { defaultStallMs } from "./run-watchdog.js";

describe("the watchdog's default stall bound", () => {
  it("is a task's worst case on the queue, every delivery's ack wait plus every retry delay: 71 s with the defaults", () => {
    expect(defaultStallMs({ ackWaitMs: 10_000, maxDeliver: 5, backoffMs: [1_000, 5_000, 15_000] })).toBe(71_000);
    expect(defaultStallMs({ ackWaitMs: 30_000, maxDeliver: 10, backoffMs: [60_000] })).toBe(360_000);
  });

  it("is at least a minute, however short the ack wait", () => {
    expect(defaultStallMs({ ackWaitMs: 1_000, maxDeliver: 2, backoffMs: [100] })).toBe(60_000);
  });
});

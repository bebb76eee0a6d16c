import { describe, expect, test } from "vitest";
import { Semaphore } from "./semaphore.js";

describe("Semaphore", () => {
  test("hands freed permits to waiters first come, first served", async () => {
    const slots = new Semaphore(1);
    expect(await slots.acquire()).toBe(true);
    const order: string[] = [];
    const waiting = ["a", "b", "c"].map((name) => slots.acquire().then(() => order.push(name)));
    for (let i = 0; i < 3; i++) {
      slots.release();
      await Promise.resolve();
    }
    await Promise.all(waiting);
    expect(order).toEqual(["a", "b", "c"]);
  });

  test("a waiter whose signal aborts leaves the line holding nothing, and the next one gets the permit", async () => {
    const slots = new Semaphore(1);
    await slots.acquire();
    const stop = new AbortController();
    const quitter = slots.acquire(stop.signal);
    const next = slots.acquire();
    stop.abort();
    expect(await quitter).toBe(false);
    slots.release();
    expect(await next).toBe(true);
    expect(await slots.acquire(AbortSignal.abort())).toBe(false);
  });
});

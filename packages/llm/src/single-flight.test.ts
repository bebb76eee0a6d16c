import { describe, expect, it } from "vitest";
import { FlightLeft, SingleFlight } from "./single-flight.js";

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("SingleFlight", () => {
  it("runs the work once for concurrent callers of one key and tells joiners they joined", async () => {
    const sf = new SingleFlight<number, null>();
    const gate = deferred<number>();
    let runs = 0;
    const work = () => {
      runs++;
      return gate.promise;
    };
    const a = sf.run("k", () => null, work);
    const b = sf.run("k", () => null, work);
    gate.resolve(5);
    expect(await a).toEqual({ value: 5, joined: false });
    expect(await b).toEqual({ value: 5, joined: true });
    expect(runs).toBe(1);
    expect(sf.size).toBe(0);
  });

  it("gives every waiter the work's error", async () => {
    const sf = new SingleFlight<number, null>();
    const gate = deferred<number>();
    const a = sf.run(
      "k",
      () => null,
      () => gate.promise,
    );
    const b = sf.run(
      "k",
      () => null,
      () => gate.promise,
    );
    gate.reject(new Error("boom"));
    await expect(a).rejects.toThrow("boom");
    await expect(b).rejects.toThrow("boom");
  });

  it("aborts the work only when the last waiter leaves, and starts afresh afterwards", async () => {
    const sf = new SingleFlight<string, { step: number }>();
    let workSignal: AbortSignal | undefined;
    const work = (state: { step: number }, signal: AbortSignal) => {
      state.step = 1;
      workSignal = signal;
      return new Promise<string>((_r, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
    };
    const c1 = new AbortController();
    const c2 = new AbortController();
    const a = sf.run("k", () => ({ step: 0 }), work, c1.signal);
    const b = sf.run("k", () => ({ step: 0 }), work, c2.signal);
    c1.abort("first gone");
    const left = await a.catch((e: unknown) => e);
    expect(left).toBeInstanceOf(FlightLeft);
    expect(left).toMatchObject({ reason: "first gone", state: { step: 1 } });
    expect(workSignal?.aborted).toBe(false);
    c2.abort("second gone");
    await expect(b).rejects.toBeInstanceOf(FlightLeft);
    expect(workSignal?.aborted).toBe(true);
    const fresh = await sf.run(
      "k",
      () => ({ step: 0 }),
      () => Promise.resolve("new"),
    );
    expect(fresh).toEqual({ value: "new", joined: false });
  });
});

import { describe, expect, it } from "vitest";
import { SharedConcurrency, type ConcurrencySlot } from "./shared-concurrency.js";

const owners = new Map<string, object>();
/** One object per owner name: the identity the gate takes turns between. */
function ownerOf(name: string): object {
  let owner = owners.get(name);
  if (!owner) {
    owner = { name };
    owners.set(name, owner);
  }
  return owner;
}

/** Starts `n` acquisitions by `owner`; each granted one is logged (`<owner><i>`) and kept in `held`, in grant order. */
function request(slots: SharedConcurrency, key: string, limit: number, owner: string, n: number, log: string[], held: ConcurrencySlot[]) {
  for (let i = 0; i < n; i++) {
    void slots.acquire(key, limit, ownerOf(owner)).then((slot) => {
      log.push(`${owner}${i}`);
      held.push(slot);
    });
  }
}

const settle = () => new Promise((r) => setImmediate(r));

describe("SharedConcurrency", () => {
  it("never grants more slots of a key than its limit, over all owners", async () => {
    const slots = new SharedConcurrency();
    const log: string[] = [];
    const held: ConcurrencySlot[] = [];
    request(slots, "k", 3, "a", 4, log, held);
    request(slots, "k", 3, "b", 4, log, held);
    await settle();
    expect(slots.inFlight("k")).toBe(3);
    expect(log).toHaveLength(3);
    held.shift()?.release();
    await settle();
    expect(slots.inFlight("k")).toBe(3);
    expect(log).toHaveLength(4);
  });

  it("takes turns between owners: an owner with a deep queue does not starve one that comes later", async () => {
    const slots = new SharedConcurrency();
    const log: string[] = [];
    const held: ConcurrencySlot[] = [];
    // "deep" asks for 10 slots first; "late" asks for 3 after it. With 1 slot, FIFO would serve all of deep first.
    request(slots, "k", 1, "deep", 10, log, held);
    request(slots, "k", 1, "late", 3, log, held);
    await settle();
    for (let i = 0; i < 6; i++) {
      held.shift()?.release();
      await settle();
    }
    // deep0 took the free slot on asking; deep1 queued before late asked; from then on they alternate.
    expect(log.slice(0, 7)).toEqual(["deep0", "deep1", "late0", "deep2", "late1", "deep3", "late2"]);
  });

  it("admits each waiter under its own limit: a lower limit is never exceeded by its owner's grants", async () => {
    const slots = new SharedConcurrency();
    const log: string[] = [];
    const held: ConcurrencySlot[] = [];
    request(slots, "k", 4, "wide", 3, log, held);
    await settle();
    request(slots, "k", 2, "narrow", 1, log, held);
    request(slots, "k", 4, "wide", 1, log, held);
    await settle();
    // 3 in flight: narrow (limit 2) waits, wide's fourth (limit 4) goes.
    expect(log).toEqual(["wide0", "wide1", "wide2", "wide0"]);
    held.shift()?.release();
    held.shift()?.release();
    await settle();
    // 2 in flight now: still not fewer than narrow's 2.
    expect(log).not.toContain("narrow0");
    held.shift()?.release();
    await settle();
    expect(log).toContain("narrow0");
    expect(slots.inFlight("k")).toBe(2);
  });

  it("keeps keys apart, and forgets a key once nothing holds or waits for it", async () => {
    const slots = new SharedConcurrency();
    const owner = {};
    const a = await slots.acquire("a", 1, owner);
    const b = await slots.acquire("b", 1, owner);
    expect([slots.inFlight("a"), slots.inFlight("b")]).toEqual([1, 1]);
    a.release();
    a.release();
    expect([slots.inFlight("a"), slots.inFlight("b")]).toEqual([0, 1]);
    b.release();
    expect(slots.inFlight("b")).toBe(0);
    expect(slots.waitingOwners("a") + slots.waitingOwners("b")).toBe(0);
  });

  it("gives a slot back however the work ends", async () => {
    const slots = new SharedConcurrency();
    await expect(slots.run("k", 1, {}, () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(slots.inFlight("k")).toBe(0);
    await expect(slots.run("k", 1, {}, () => Promise.resolve(7))).resolves.toBe(7);
  });

  it("refuses a limit below 1, naming the key", () => {
    expect(() => new SharedConcurrency().acquire("endpoint sim", 0, {})).toThrow(/endpoint sim.*expected a whole number ≥ 1, found 0/);
  });
});

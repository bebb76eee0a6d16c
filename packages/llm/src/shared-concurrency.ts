/**
 * The concurrency limits of a process, shared by every LLM client in it: an endpoint's `concurrency`
 * and a spec's `concurrency.maxInFlight` are per process (the spec says so), so the runs of a sweep in
 * one process — or the runs a pool worker serves — take their slots from one budget per endpoint
 * instead of each holding a budget of its own that the others cannot use while it idles.
 *
 * Slots are handed out fairly: round-robin over the owners (one per LLM client, so one per run)
 * that wait for them, FIFO within an owner, so one run with a deep queue (a held-out measurement of
 * hundreds of chains) cannot starve the others. Each waiter brings its own limit (its spec's): it is
 * admitted while fewer than that many calls are in flight under the key, so no run is ever sent past
 * the limit it declared, whatever the others declared.
 */
import type { LlmEndpoint } from "./llm-endpoint.js";
import { rateLimitKey } from "./rate-limit.js";

/**
 * The key an endpoint's `concurrency` is counted under: per declared endpoint (its id) at one server,
 * model and key variable (rateLimitKey, no secret in it), so the runs of one spec share it.
 */
export function endpointSlotKey(endpoint: Pick<LlmEndpoint, "id" | "baseURL" | "model" | "apiKeyEnv">): string {
  return `endpoint\u0000${endpoint.id}\u0000${rateLimitKey(endpoint)}`;
}

/** The key `maxInFlight` is counted under: every call of the process, whatever its endpoint. */
export const ALL_ENDPOINTS_SLOT_KEY = "all-endpoints";

/** A caller's claim on one slot; `release` gives it back (once: later calls do nothing). */
export interface ConcurrencySlot {
  release(): void;
}

interface Waiter {
  limit: number;
  grant: (slot: ConcurrencySlot) => void;
}

/** One key's slots: how many are held, and who waits for one, by owner in the order they came. */
interface Gate {
  inFlight: number;
  /** Owners with waiters, in round-robin order. */
  ring: object[];
  queues: Map<object, Waiter[]>;
  /** The ring position served next (modulo the ring's length, read when it is used). */
  cursor: number;
}

export class SharedConcurrency {
  private readonly gates = new Map<string, Gate>();

  /** Calls in flight under `key` (all owners). */
  inFlight(key: string): number {
    return this.gates.get(key)?.inFlight ?? 0;
  }

  /** Owners waiting for a slot of `key`. */
  waitingOwners(key: string): number {
    return this.gates.get(key)?.ring.length ?? 0;
  }

  /** Waits for a slot of `key` while fewer than `limit` are in flight, taking turns with the other owners that wait. */
  acquire(key: string, limit: number, owner: object): Promise<ConcurrencySlot> {
    if (!(Number.isInteger(limit) || limit === Number.POSITIVE_INFINITY) || limit < 1) {
      throw new RangeError(`concurrency limit of '${key}': expected a whole number ≥ 1, found ${limit}`);
    }
    let gate = this.gates.get(key);
    if (!gate) {
      gate = { inFlight: 0, ring: [], queues: new Map(), cursor: 0 };
      this.gates.set(key, gate);
    }
    const g = gate;
    return new Promise<ConcurrencySlot>((grant) => {
      let queue = g.queues.get(owner);
      if (!queue) {
        queue = [];
        g.queues.set(owner, queue);
        g.ring.push(owner);
      }
      queue.push({ limit, grant });
      this.dispatch(key, g);
    });
  }

  /** Runs `work` in a slot of `key`, given back however `work` ends. */
  async run<T>(key: string, limit: number, owner: object, work: () => Promise<T>): Promise<T> {
    const slot = await this.acquire(key, limit, owner);
    try {
      return await work();
    } finally {
      slot.release();
    }
  }

  /** Grants every slot that can be granted now: one per owner in turn, starting where the last turn ended. */
  private dispatch(key: string, gate: Gate): void {
    for (;;) {
      const n = gate.ring.length;
      let granted = false;
      for (let i = 0; i < n; i++) {
        const at = ((gate.cursor % n) + i) % n;
        const owner = gate.ring[at] as object;
        const queue = gate.queues.get(owner) as Waiter[];
        const head = queue[0] as Waiter;
        if (gate.inFlight >= head.limit) continue;
        queue.shift();
        if (queue.length === 0) {
          gate.queues.delete(owner);
          gate.ring.splice(at, 1);
          // The owner after this one moved into its place: it is served next.
          gate.cursor = at;
        } else {
          // Not wrapped yet: an owner that joins the ring's end before the next grant is served next.
          gate.cursor = at + 1;
        }
        gate.inFlight++;
        head.grant(this.slotOf(key, gate));
        granted = true;
        break;
      }
      if (!granted) break;
    }
    if (gate.inFlight === 0 && gate.ring.length === 0) this.gates.delete(key);
  }

  private slotOf(key: string, gate: Gate): ConcurrencySlot {
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        gate.inFlight--;
        // A gate is dropped only once nothing is held or waited for, so this one is still the key's.
        this.dispatch(key, gate);
      },
    };
  }
}

let shared: SharedConcurrency | undefined;

/** This process's concurrency limits, shared by every LLM client that is given no other. */
export function processConcurrency(): SharedConcurrency {
  shared ??= new SharedConcurrency();
  return shared;
}

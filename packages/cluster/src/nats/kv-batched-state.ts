/**
 * One small record in JetStream KV that many processes change at once (a run's spend ledger, an
 * endpoint's rate-limit window), changed by compare-and-swap with group commit: the changes a
 * process asks for while its previous write is on the wire are applied together in the next one, so
 * a process has one write in flight per record, and a record contended by N processes sees at most
 * N writers, not one per call. A change is a pure function of the record (its result says what it
 * decided), so when another process won the swap the batch is simply applied again to the new value.
 *
 * Reads and writes ride out a NATS restart or a leader election (jetstream-retry.ts, up to
 * OUTAGE_MS): the coordinator reads the spend ledger between steps, and a run must not fail on a
 * server that comes back. A retried swap whose first attempt was stored after all answers "wrong
 * revision" to the retry; the record then holds exactly the bytes this process wrote, which is how
 * it is told from another process's write (so a batch is never applied twice).
 */
import type { KV } from "@nats-io/kv";
import type { z } from "zod";
import { ResponseCacheError } from "@maspo/llm";
import { decode, encode } from "../codec.js";
import { isTransientJetStreamError, withJetStreamRetry } from "./jetstream-retry.js";
import { isStaleRevision } from "./kv-revision.js";

/** How long a read or write of the record waits for JetStream to come back before it is an error. */
const OUTAGE_MS = 30_000;

/** A change of the record: its new value (undefined: unchanged) and what it decided. */
export type StateChange<T, R> = (current: T) => { next?: T; result: R };

interface Pending<T> {
  change: StateChange<T, unknown>;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

export class KvBatchedState<T> {
  private queue: Pending<T>[] = [];
  private flushing = false;
  private last: T;

  constructor(
    private readonly kv: KV,
    private readonly key: string,
    private readonly schema: z.ZodType<T>,
    /** The record's value while the key holds none. */
    private readonly initial: () => T,
    /** Names the record in errors, e.g. `the spend ledger of run x`. */
    private readonly what: string,
  ) {
    this.last = initial();
  }

  /** The value as last read or written by this process. */
  get latest(): T {
    return this.last;
  }

  /** Applies `change` in this process's next write; resolves with what it decided once that write is stored. */
  apply<R>(change: StateChange<T, R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ change: change as StateChange<T, unknown>, resolve: resolve as (r: unknown) => void, reject });
      void this.flush();
    });
  }

  /** Reads the record again. */
  async read(): Promise<T> {
    const { value } = await this.fetch();
    this.last = value;
    return value;
  }

  /** Writes `value` whatever the record holds (a new run's ledger). */
  async overwrite(value: T): Promise<void> {
    await this.guard(() => withJetStreamRetry(() => this.kv.put(this.key, encode(value)), { deadlineMs: OUTAGE_MS }));
    this.last = value;
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          const results = await this.commit(batch);
          batch.forEach((p, i) => p.resolve(results[i]));
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async commit(batch: Pending<T>[]): Promise<unknown[]> {
    for (;;) {
      const { value, revision } = await this.fetch();
      let state = value;
      let changed = false;
      const results = batch.map((p) => {
        const step = p.change(state);
        if (step.next !== undefined) {
          state = step.next;
          changed = true;
        }
        return step.result;
      });
      if (!changed) {
        this.last = state;
        return results;
      }
      if (await this.write(revision, encode(state))) {
        this.last = state;
        return results;
      }
      // Another process wrote first: apply the batch again to its value.
    }
  }

  /** Stores `bytes` if the record is still at `revision`; false when another process wrote first. */
  private async write(revision: number | undefined, bytes: Uint8Array): Promise<boolean> {
    let attempts = 0;
    try {
      await this.guard(() =>
        withJetStreamRetry(
          () => {
            attempts++;
            return revision === undefined ? this.kv.create(this.key, bytes) : this.kv.update(this.key, bytes, revision);
          },
          { deadlineMs: OUTAGE_MS, retryable: isTransientJetStreamError },
        ),
      );
      return true;
    } catch (err) {
      if (!(err instanceof ResponseCacheError && isStaleRevision(err.cause))) throw err;
      if (attempts === 1) return false;
      // A retried attempt: the first may have been stored, its answer lost in the outage.
      const entry = await this.guard(() => withJetStreamRetry(() => this.kv.get(this.key), { deadlineMs: OUTAGE_MS }));
      return entry !== null && entry.operation === "PUT" && Buffer.from(entry.value).equals(Buffer.from(bytes));
    }
  }

  private async fetch(): Promise<{ value: T; revision: number | undefined }> {
    const entry = await this.guard(() => withJetStreamRetry(() => this.kv.get(this.key), { deadlineMs: OUTAGE_MS }));
    if (!entry || entry.operation !== "PUT") return { value: this.initial(), revision: entry?.revision };
    return { value: decode(this.schema, entry.value, this.what), revision: entry.revision };
  }

  /** NATS trouble is weather for the caller (E_LLM_CACHE, retryable): its task is done again later. */
  private async guard<R>(op: () => Promise<R>): Promise<R> {
    try {
      return await op();
    } catch (err) {
      if (isStaleRevision(err)) throw new ResponseCacheError(`${this.what} changed under this write`, { cause: err });
      throw new ResponseCacheError(`cannot read or write ${this.what} in JetStream KV: ${String(err)}; is NATS reachable?`, { cause: err });
    }
  }
}

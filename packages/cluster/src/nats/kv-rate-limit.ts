/**
 * Endpoints' rate limits (see @maspo/llm rate-limit.ts) kept in JetStream KV, so every process of a
 * cluster — every worker of every run and sweep on it — takes its requests from one window per
 * endpoint identity. One key per identity (a hash: server, model, key variable name; never a key),
 * changed by group-committed compare-and-swap (kv-batched-state.ts). Windows are a few slots of
 * counts; the bucket forgets an identity not used for ten minutes.
 */
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  RateWindowSchema,
  abortableSleep,
  admit,
  correctTokens,
  type Admission,
  type RateGrant,
  type RateLimiter,
  type RateLimits,
  type RateWindow,
} from "@maspo/llm";
import { RATE_LIMIT_BUCKET } from "../subjects.js";
import { KvBatchedState } from "./kv-batched-state.js";
import { createBucket } from "./kv-stores.js";
import { chooseReplicas } from "./replicas.js";

/** A window not written for this long holds nothing any more (its slots are older than the window). */
const WINDOW_TTL_MS = 10 * 60_000;

/** Waiters woken by one slot leaving the window spread over this much, so they do not all swap at once. */
const WAKE_SPREAD_MS = 250;

export interface KvRateLimiterOptions {
  replicas?: number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export class KvRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, KvBatchedState<RateWindow>>();

  private constructor(
    private readonly kv: KV,
    private readonly now: () => number,
    private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  ) {}

  static async open(nc: NatsConnection, options: KvRateLimiterOptions = {}): Promise<KvRateLimiter> {
    const { replicas } = chooseReplicas(nc, options.replicas);
    const create = () =>
      createBucket(nc, RATE_LIMIT_BUCKET, replicas, () =>
        new Kvm(nc).create(RATE_LIMIT_BUCKET, { history: 1, ttl: WINDOW_TTL_MS, replicas }),
      );
    // Two processes creating the bucket at once: the loser's create finds the winner's bucket on a second try.
    const kv = await create().catch(create);
    return new KvRateLimiter(kv, options.now ?? Date.now, options.sleep ?? abortableSleep);
  }

  async acquire(key: string, limits: RateLimits, estimatedTokens: number, signal: AbortSignal): Promise<RateGrant> {
    const window = this.windowOf(key);
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const admission = await window.apply((current): { next?: RateWindow; result: Admission } => {
        const decided = admit(current, limits, estimatedTokens, this.now());
        return decided.ok ? { next: decided.next, result: decided } : { result: decided };
      });
      if (admission.ok) {
        return {
          settle: async (actual) => {
            const delta = actual - estimatedTokens;
            // Only a token limit reads tokens; a request-only limit needs no second write.
            if (limits.tpm === undefined || delta === 0) return;
            await window.apply((current) => ({ next: correctTokens(current, admission.slot, delta, this.now()), result: undefined }));
          },
        };
      }
      await this.sleep(admission.waitMs + Math.floor(Math.random() * WAKE_SPREAD_MS), signal);
    }
  }

  private windowOf(key: string): KvBatchedState<RateWindow> {
    let window = this.windows.get(key);
    if (!window) {
      window = new KvBatchedState(this.kv, key, RateWindowSchema, () => ({ slots: [] }), `the rate-limit window ${key}`);
      this.windows.set(key, window);
    }
    return window;
  }
}

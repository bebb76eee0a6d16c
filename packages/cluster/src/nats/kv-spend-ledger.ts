/**
 * A run's spend ledger (see @maspo/llm spend-ledger.ts) in JetStream KV, shared by the run's
 * coordinator and every worker serving it: each served attempt is settled in it by the process that
 * made the call, before the task's result is published, so the run's cost is what endpoints served —
 * a worker killed mid-task loses nothing from it — and every process reserves against one budget.
 *
 * One key per run (the run id) in the cluster's spend bucket, changed by group-committed
 * compare-and-swap (kv-batched-state.ts). The coordinator writes a fresh ledger when a run starts,
 * keeps it on --resume, and removes it with the run; a worker opens the run's ledger as it is.
 * A run without a budget (nor a round token cap) reserves nothing: its attempts only settle.
 */
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { type LlmAccountingSnapshot, type RoundTokenCap, RunIdSchema } from "@maspo/core";
import {
  BudgetSpentError,
  abortableSleep,
  LedgerStateSchema,
  RESERVATION_POLL_MS,
  emptyLedger,
  hasBudget,
  settleIn,
  tryReserve,
  type LedgerBudget,
  type LedgerState,
  type LedgerWho,
  type ReserveStep,
  type SpendCharge,
  type SpendLedger,
  type SpendReservation,
} from "@maspo/llm";
import { randomUUID } from "node:crypto";
import { validate } from "../codec.js";
import { SPEND_LEDGER_BUCKET } from "../subjects.js";
import { KvBatchedState } from "./kv-batched-state.js";
import { createBucket } from "./kv-stores.js";
import { chooseReplicas } from "./replicas.js";

/** A ledger a run left behind (its coordinator died for good) expires after this long without a write. */
const LEDGER_TTL_MS = 7 * 24 * 3_600_000;

/** The longest a waiting attempt sleeps between looks at the reservations. */
const MAX_POLL_MS = 400;

/** The run's stop.budgetUsd and stop.budgetTokens, and its guards.tokensPerRoundMax (null: none). */
export interface KvSpendLedgerOptions extends LedgerBudget {
  /**
   * `fresh`: a new run (the coordinator) — the ledger starts empty, whatever was there. `resume`: the
   * coordinator taking a run over — the ledger is kept, or started from `carried` if it is gone.
   * `join`: a worker — the ledger as it is.
   */
  mode: "fresh" | "resume" | "join";
  /** A resumed run's use from its checkpoint, for a ledger that is gone. */
  carried?: LlmAccountingSnapshot;
  replicas?: number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export class KvSpendLedger implements SpendLedger {
  private constructor(
    private readonly state: KvBatchedState<LedgerState>,
    private readonly budgeted: boolean,
    private readonly now: () => number,
    private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  ) {}

  static async open(nc: NatsConnection, runId: string, options: KvSpendLedgerOptions): Promise<KvSpendLedger> {
    const key = validate(RunIdSchema, runId, "run id");
    const kv = await openSpendBucket(nc, options.replicas);
    const initial = (): LedgerState => emptyLedger(options, options.mode === "resume" ? options.carried : undefined);
    const state = new KvBatchedState(kv, key, LedgerStateSchema, initial, `the spend ledger of run ${runId}`);
    if (options.mode === "fresh") await state.overwrite(initial());
    else await state.read();
    return new KvSpendLedger(state, hasBudget(options), options.now ?? Date.now, options.sleep ?? abortableSleep);
  }

  /** Removes a run's ledger (its run is done). */
  static async remove(nc: NatsConnection, runId: string): Promise<void> {
    const kv = await openSpendBucket(nc);
    await kv.purge(validate(RunIdSchema, runId, "run id"));
  }

  async reserve(who: LedgerWho, charge: SpendCharge, ttlMs: number, signal: AbortSignal): Promise<SpendReservation> {
    const id = randomUUID();
    // Without a budget (or once it is lifted) there is nothing to hold back: only the settlement is written.
    if (this.budgeted && this.state.latest.enforced) {
      for (let waits = 0; ; waits++) {
        if (signal.aborted) throw signal.reason;
        const step = await this.state.apply((current): { next?: LedgerState; result: ReserveStep } => {
          const decided = tryReserve(current, id, charge, this.now(), ttlMs);
          return decided.kind === "admitted" ? { next: decided.next, result: decided } : { result: decided };
        });
        if (step.kind === "refused") throw new BudgetSpentError(who, step);
        if (step.kind === "admitted") break;
        await this.sleep(Math.min(MAX_POLL_MS, RESERVATION_POLL_MS * 2 ** Math.min(waits, 4)), signal);
      }
    }
    return {
      settle: async (outcome) => {
        await this.state.apply((current) => ({ next: settleIn(current, id, who, outcome), result: undefined }));
      },
    };
  }

  async refresh(): Promise<void> {
    await this.state.read();
  }

  snapshot(): LlmAccountingSnapshot {
    return { rows: this.state.latest.rows.map((r) => ({ ...r })) };
  }

  async enforce(on: boolean): Promise<void> {
    await this.state.apply((current) => ({ next: { ...current, enforced: on }, result: undefined }));
  }

  async capRound(cap: RoundTokenCap | null): Promise<void> {
    await this.state.apply((current) => ({ next: { ...current, roundCap: cap }, result: undefined }));
  }
}

async function openSpendBucket(nc: NatsConnection, wanted?: number) {
  const { replicas } = chooseReplicas(nc, wanted);
  const create = () =>
    createBucket(nc, SPEND_LEDGER_BUCKET, replicas, () =>
      new Kvm(nc).create(SPEND_LEDGER_BUCKET, { history: 1, ttl: LEDGER_TTL_MS, replicas }),
    );
  // Two processes creating the bucket at once: the loser's create finds the winner's bucket on a second try.
  return create().catch(create);
}

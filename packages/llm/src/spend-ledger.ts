/**
 * A run's spend ledger: every HTTP attempt an endpoint served, counted where the call is made, and
 * the run's USD budget enforced by reservation. Before each attempt the client reserves the
 * attempt's worst-case cost (worstCaseCost: every prompt byte a token, plus its max tokens, at the
 * endpoint's prices); after it, the reservation is settled with the actual usage (a failed attempt
 * costs nothing). An attempt is admitted while spent + reserved < budget; beyond that it waits for
 * reservations in flight to settle; once spent ≥ budget it is refused (BudgetSpentError,
 * E_LLM_BUDGET, not retryable). So the spend never passes the budget by more than one attempt's
 * worst case, whatever the number of processes. A budget is in USD, in tokens (prompt and
 * completion, every role), or both: whichever is spent first.
 *
 * A round's token cap (guards.tokensPerRoundMax; RoundTokenCap of @maspo/core) is held the same way:
 * while the coordinator has set one, its ceiling on the run's served tokens admits, waits and refuses
 * exactly like a token budget, the refusal saying E_LLM_ROUND_CAP (BudgetSpentError all the same: the
 * task cannot be done). The run's budget is checked first: a run out of budget stops.
 *
 * The ledger, not the task results, is what the report's cost, the budget stop and the cost
 * metrics read: a worker that dies mid-task, or a delivery that fails after paid calls, loses
 * nothing from it. Here are the pure state transitions and the in-process ledger (the embedded
 * mode); the cluster keeps the same state in JetStream KV (@maspo/cluster, kv-spend-ledger.ts).
 *
 * A reservation whose holder died is dropped once its expiry passes (the attempt's timeout plus a
 * minute): it holds back others for that long, never for ever.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import {
  LlmAccountingRowSchema,
  RoundTokenCapSchema,
  type LlmAccountingRow,
  type LlmAccountingSnapshot,
  type RoundTokenCap,
} from "@maspo/core";
import { callCostUsd } from "./llm-accounting.js";
import type { LlmEndpoint } from "./llm-endpoint.js";
import { LlmError } from "./llm-error.js";

/** What an attempt may cost at most, reserved before it is sent. */
export interface SpendCharge {
  usd: number;
  tokens: number;
}

/** A reservation outlives its attempt's timeout by this much before a dead holder's is dropped. */
export const RESERVATION_GRACE_MS = 60_000;

/** Completion tokens assumed for an attempt that states no max tokens (neither the request nor the endpoint's maxOutputTokens). */
export const DEFAULT_RESERVED_OUTPUT_TOKENS = 4_096;

/** Tokens a message costs beyond its text (role, separators), generously. */
const MESSAGE_OVERHEAD_TOKENS = 8;

export const LedgerStateSchema = z.object({
  v: z.literal(1),
  /** The run's budget in USD; null: none. */
  budgetUsd: z.number().positive().nullable(),
  /** The run's budget in tokens; null: none. */
  budgetTokens: z.number().positive().nullable().default(null),
  /** Whether the budget refuses attempts: lifted for the held-out measurement after optimization. */
  enforced: z.boolean(),
  /** The current round's token cap, while one holds (set and lifted by the coordinator); null: none. */
  roundCap: RoundTokenCapSchema.nullable().default(null),
  reservations: z.record(z.string(), z.object({ usd: z.number().nonnegative(), tokens: z.number().nonnegative(), expiresAt: z.number() })),
  /** Served attempts per endpoint, model and role (cacheHits always 0: a cache hit serves nothing). */
  rows: z.array(LlmAccountingRowSchema),
});
export type LedgerState = z.infer<typeof LedgerStateSchema>;

/** A run's budget: USD, tokens, or both (null: none of that kind); and whether its rounds are token-capped. */
export interface LedgerBudget {
  budgetUsd: number | null;
  budgetTokens?: number | null | undefined;
  /** The spec's guards.tokensPerRoundMax: the coordinator sets each round's cap in the ledger, so every attempt reserves. */
  tokensPerRoundMax?: number | null | undefined;
}

/** A ledger that has counted nothing yet, or that goes on from a resumed run's `carried` use (its paid part). */
export function emptyLedger(budget: LedgerBudget, carried?: LlmAccountingSnapshot): LedgerState {
  const rows = (carried?.rows ?? []).map((r) => ({ ...r, cacheHits: 0 }));
  return {
    v: 1,
    budgetUsd: budget.budgetUsd,
    budgetTokens: budget.budgetTokens ?? null,
    enforced: true,
    roundCap: null,
    reservations: {},
    rows,
  };
}

/** Whether a ledger with this budget holds anything back (a round cap included). */
export function hasBudget(budget: LedgerBudget): boolean {
  return budget.budgetUsd !== null || (budget.budgetTokens ?? null) !== null || (budget.tokensPerRoundMax ?? null) !== null;
}

/** USD spent by settled attempts. */
export function spentUsd(state: LedgerState): number {
  return state.rows.reduce((n, r) => n + r.costUsd, 0);
}

/** Tokens (prompt and completion) of settled attempts. */
export function spentTokens(state: LedgerState): number {
  return state.rows.reduce((n, r) => n + r.promptTokens + r.completionTokens, 0);
}

/**
 * The worst case of one attempt: every UTF-8 byte of its messages a prompt token (a tokenizer never
 * makes more tokens than bytes) plus a small overhead per message, and `maxTokens` completion tokens.
 */
export function worstCaseCost(price: LlmEndpoint["price"], messages: readonly { content: string }[], maxTokens: number): SpendCharge {
  const prompt = messages.reduce((n, m) => n + Buffer.byteLength(m.content, "utf8") + MESSAGE_OVERHEAD_TOKENS, 0);
  return { usd: callCostUsd(price, prompt, maxTokens), tokens: prompt + maxTokens };
}

export type ReserveStep =
  | { kind: "admitted"; next: LedgerState }
  | { kind: "wait" }
  | { kind: "refused"; unit: "usd" | "tokens"; spent: number; budget: number }
  | { kind: "refused"; unit: "round-tokens"; spent: number; budget: number; roundCap: RoundTokenCap };

/** Whether an attempt may reserve `charge` now (see the module comment), and the state with it reserved. */
export function tryReserve(state: LedgerState, id: string, charge: SpendCharge, nowMs: number, ttlMs: number): ReserveStep {
  const reservations = Object.fromEntries(Object.entries(state.reservations).filter(([, r]) => r.expiresAt > nowMs));
  if (state.enforced) {
    const held = Object.values(reservations);
    const tokens = { spent: spentTokens(state), reserved: held.reduce((n, r) => n + r.tokens, 0) };
    const { roundCap } = state;
    const kinds = [
      { unit: "usd" as const, budget: state.budgetUsd, spent: spentUsd(state), reserved: held.reduce((n, r) => n + r.usd, 0) },
      { unit: "tokens" as const, budget: state.budgetTokens, ...tokens },
      // After the budget: a run out of budget stops, a capped round only ends early.
      { unit: "round-tokens" as const, budget: roundCap?.ceilingTokens ?? null, ...tokens },
    ];
    for (const { unit, budget, spent } of kinds) {
      if (budget === null || spent < budget) continue;
      if (unit !== "round-tokens") return { kind: "refused", unit, spent, budget };
      if (roundCap) return { kind: "refused", unit, spent, budget, roundCap };
    }
    if (kinds.some(({ budget, spent, reserved }) => budget !== null && spent + reserved >= budget)) return { kind: "wait" };
  }
  reservations[id] = { usd: charge.usd, tokens: charge.tokens, expiresAt: nowMs + ttlMs };
  return { kind: "admitted", next: { ...state, reservations } };
}

/** Who an attempt was for: its row of the ledger. */
export type LedgerWho = Pick<LlmAccountingRow, "endpointId" | "model" | "role">;

/** How an attempt ended: served (its usage and cost), or failed (and whether the call goes on to another attempt). */
export type AttemptSettlement =
  { ok: true; promptTokens: number; completionTokens: number; costUsd: number } | { ok: false; retried: boolean };

/** The state once reservation `id` is settled; a served attempt counts even if its reservation had expired. */
export function settleIn(state: LedgerState, id: string, who: LedgerWho, outcome: AttemptSettlement): LedgerState {
  const { [id]: _settled, ...reservations } = state.reservations;
  const rows = state.rows.map((r) => ({ ...r }));
  let row = rows.find((r) => r.endpointId === who.endpointId && r.model === who.model && r.role === who.role);
  if (!row) {
    row = { ...who, calls: 0, failedAttempts: 0, retries: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, cacheHits: 0 };
    rows.push(row);
    rows.sort((a, b) => cmp(a.endpointId, b.endpointId) || cmp(a.model, b.model) || cmp(a.role, b.role));
  }
  if (outcome.ok) {
    row.calls++;
    row.promptTokens += outcome.promptTokens;
    row.completionTokens += outcome.completionTokens;
    row.costUsd += outcome.costUsd;
  } else {
    row.failedAttempts++;
    if (outcome.retried) row.retries++;
  }
  return { ...state, reservations, rows };
}

/**
 * A run's use as its report shows it: the calls, tokens, cost, failures and retries endpoints served
 * (the ledger's `served`), with the cache hits its task results counted (`tasks`: a cache hit serves
 * nothing, so only the tasks know of them).
 */
export function withCacheHits(served: LlmAccountingSnapshot, tasks: LlmAccountingSnapshot): LlmAccountingSnapshot {
  const id = (r: LedgerWho): string => JSON.stringify([r.endpointId, r.model, r.role]);
  const rows = new Map(served.rows.map((r) => [id(r), { ...r, cacheHits: 0 }]));
  for (const t of tasks.rows) {
    const row = rows.get(id(t));
    if (row) row.cacheHits = t.cacheHits;
    else if (t.cacheHits > 0) {
      const { endpointId, model, role } = t;
      rows.set(id(t), {
        endpointId,
        model,
        role,
        calls: 0,
        failedAttempts: 0,
        retries: 0,
        promptTokens: 0,
        completionTokens: 0,
        costUsd: 0,
        cacheHits: t.cacheHits,
      });
    }
  }
  return { rows: [...rows.values()].sort((a, b) => cmp(a.endpointId, b.endpointId) || cmp(a.model, b.model) || cmp(a.role, b.role)) };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An attempt's reservation: settled once, with how the attempt ended. */
export interface SpendReservation {
  settle(outcome: AttemptSettlement): Promise<void>;
}

export interface SpendLedger {
  /**
   * Reserves `charge` for one attempt to `endpoint` for `role`, waiting while reservations in flight
   * fill the budget; throws BudgetSpentError once the budget is spent.
   */
  reserve(who: LedgerWho, charge: SpendCharge, ttlMs: number, signal: AbortSignal): Promise<SpendReservation>;
  /** Reads the shared state again (a no-op in process); `snapshot` then says what it held. */
  refresh(): Promise<void>;
  /** Served attempts per endpoint, model and role, as last read. */
  snapshot(): LlmAccountingSnapshot;
  /** Turns the budget's refusals on or off (off for the held-out measurement after optimization). */
  enforce(on: boolean): Promise<void>;
  /** Sets the current round's token cap, or lifts it (null); attempts waiting on the old one look again. */
  capRound?(cap: RoundTokenCap | null): Promise<void>;
  /**
   * Counts an attempt served before this process started that no ledger holds yet (a resumed
   * embedded run's, see FileResponseCache `unpaidAfterMs`): no reservation, no refusal — it is spent.
   */
  recordServed?(who: LedgerWho, outcome: AttemptSettlement): Promise<void>;
}

/**
 * An attempt refused because the run's budget is spent (E_LLM_BUDGET: the run ends as a budget stop)
 * or its round's token cap is (E_LLM_ROUND_CAP: the coordinator drops the step). Not retryable.
 */
export class BudgetSpentError extends LlmError {
  constructor(who: LedgerWho, refused: Extract<ReserveStep, { kind: "refused" }>) {
    const { spent, budget } = refused;
    const what =
      refused.unit === "round-tokens"
        ? `round ${refused.roundCap.round} reached its token ceiling under guards.tokensPerRoundMax ${refused.roundCap.capTokens}: ` +
          `the run had served ${spent} tokens, its ceiling for the round's steps is ${budget}`
        : refused.unit === "usd"
          ? `the run's budget of $${budget} is spent ($${spent.toFixed(6)} served)`
          : `the run's budget of ${budget} tokens is spent (${spent} served)`;
    const code = refused.unit === "round-tokens" ? "E_LLM_ROUND_CAP" : "E_LLM_BUDGET";
    super(code, `LLM call to endpoint '${who.endpointId}' (model ${who.model}) refused: ${what}`, {
      endpointId: who.endpointId,
      model: who.model,
      attempts: 0,
      retryable: false,
    });
  }
}

/** How long a waiting attempt sleeps before it looks at the reservations again. */
export const RESERVATION_POLL_MS = 25;

export interface MemorySpendLedgerOptions extends LedgerBudget {
  /** A resumed run's use so far (its checkpoint's): the ledger goes on from it. */
  carried?: LlmAccountingSnapshot;
  now?: () => number;
}

/** The ledger of a run in one process (the embedded mode). */
export class MemorySpendLedger implements SpendLedger {
  private state: LedgerState;
  private readonly now: () => number;
  private readonly settled = new Set<() => void>();

  constructor(options: MemorySpendLedgerOptions) {
    this.state = emptyLedger(options, options.carried);
    this.now = options.now ?? Date.now;
  }

  async reserve(who: LedgerWho, charge: SpendCharge, ttlMs: number, signal: AbortSignal): Promise<SpendReservation> {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const id = randomUUID();
      const step = tryReserve(this.state, id, charge, this.now(), ttlMs);
      if (step.kind === "refused") throw new BudgetSpentError(who, step);
      if (step.kind === "admitted") {
        this.state = step.next;
        return {
          settle: (outcome) => {
            this.state = settleIn(this.state, id, who, outcome);
            for (const wake of [...this.settled]) wake();
            return Promise.resolve();
          },
        };
      }
      // Woken by the next settlement, or after a while (a reservation may expire without one).
      await this.nextSettlement(signal);
    }
  }

  recordServed(who: LedgerWho, outcome: AttemptSettlement): Promise<void> {
    this.state = settleIn(this.state, randomUUID(), who, outcome);
    return Promise.resolve();
  }

  private nextSettlement(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        cleanup();
        resolve();
      };
      const onAbort = (): void => {
        cleanup();
        reject(signal.reason);
      };
      const timer = setTimeout(done, RESERVATION_POLL_MS * 40);
      const cleanup = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.settled.delete(done);
      };
      this.settled.add(done);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  refresh(): Promise<void> {
    return Promise.resolve();
  }

  snapshot(): LlmAccountingSnapshot {
    return { rows: this.state.rows.map((r) => ({ ...r })) };
  }

  enforce(on: boolean): Promise<void> {
    this.state = { ...this.state, enforced: on };
    return Promise.resolve();
  }

  capRound(cap: RoundTokenCap | null): Promise<void> {
    this.state = { ...this.state, roundCap: cap };
    // A lifted or raised ceiling may admit what waited on the old one.
    for (const wake of [...this.settled]) wake();
    return Promise.resolve();
  }
}

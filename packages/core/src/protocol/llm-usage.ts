/**
 * What LLM use a piece of work caused, per endpoint, model and role (serving / evaluator /
 * optimizer): successful calls, failed attempts, retries, tokens, dollars and cache hits. A task's
 * result carries one such snapshot, so the coordinator can add up the run's spend from results alone.
 */
import { z } from "zod";

export const LlmCountersSchema = z.object({
  /** HTTP attempts that returned a completion. */
  calls: z.int().nonnegative(),
  /** HTTP attempts that failed (each retried or final failure). */
  failedAttempts: z.int().nonnegative(),
  /** Waits followed by another attempt. */
  retries: z.int().nonnegative(),
  promptTokens: z.int().nonnegative(),
  completionTokens: z.int().nonnegative(),
  costUsd: z.number().nonnegative(),
  /** Requests answered from the cache (or by sharing an identical in-flight call). */
  cacheHits: z.int().nonnegative(),
});
export type LlmCounters = z.infer<typeof LlmCountersSchema>;

export const LlmAccountingRowSchema = LlmCountersSchema.extend({
  endpointId: z.string(),
  model: z.string(),
  role: z.enum(["serving", "evaluator", "optimizer"]),
});
export type LlmAccountingRow = z.infer<typeof LlmAccountingRowSchema>;

/** Plain JSON data: safe to checkpoint, publish and merge. Rows sorted by endpoint, model, role. */
export const llmAccountingSnapshotSchema = z.object({ rows: z.array(LlmAccountingRowSchema) });
export type LlmAccountingSnapshot = z.infer<typeof llmAccountingSnapshotSchema>;

/**
 * A run's spend as its checkpoint carries it, so a resumed run's budget stop, token guard and report
 * go on from it: the LLM use of every task result counted so far (merged snapshots), and how far into
 * the run's results log those results were read (1-based; 0: none). A results log that outlives the
 * coordinator (JetStream) is read again from its start on resume; the results up to `resultsPosition`
 * are then already in `usage` and must not be counted twice.
 */
export const RunSpendSchema = z.object({
  usage: llmAccountingSnapshotSchema,
  resultsPosition: z.int().nonnegative(),
});
export type RunSpend = z.infer<typeof RunSpendSchema>;

/**
 * A round's token cap as the spend ledger enforces it (guards.tokensPerRoundMax): while it is set,
 * an attempt is admitted only while the tokens served plus those reserved in flight stay below
 * `ceilingTokens` (an absolute count of the run's served tokens), and refused once the served tokens
 * reach it (E_LLM_ROUND_CAP). The coordinator sets it for a round's agent steps and lifts it (null)
 * for the round end's train-pool measure and the finish.
 */
export const RoundTokenCapSchema = z.object({
  /** The round (over all epochs, 1-based) it holds. */
  round: z.int().positive(),
  /** The spec's guards.tokensPerRoundMax. */
  capTokens: z.number().positive(),
  /** The run's served-token count attempts are held below: the round's start, plus the cap, less what the round end is reserved. */
  ceilingTokens: z.number().nonnegative(),
});
export type RoundTokenCap = z.infer<typeof RoundTokenCapSchema>;

/** A run's spend so far, as the token guard and the budget stop read it. */
export interface UsageTotals {
  calls: number;
  tokens: number;
  usd: number;
  cacheHits: number;
  /** Waits before another attempt (429s honoured, 5xx, timeouts): weather the run rode out. */
  retries: number;
  /** HTTP attempts that failed, retried or not. */
  failedAttempts: number;
}

/** The totals of a snapshot's rows. */
export function usageTotalsOf(snapshot: LlmAccountingSnapshot): UsageTotals {
  const totals = { calls: 0, tokens: 0, usd: 0, cacheHits: 0, retries: 0, failedAttempts: 0 };
  for (const r of snapshot.rows) {
    totals.calls += r.calls;
    totals.retries += r.retries;
    totals.failedAttempts += r.failedAttempts;
    totals.tokens += r.promptTokens + r.completionTokens;
    totals.usd += r.costUsd;
    totals.cacheHits += r.cacheHits;
  }
  return totals;
}

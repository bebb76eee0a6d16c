/**
 * What LLM use cost, per endpoint model and role (serving / evaluator / optimizer): successful calls,
 * failed attempts, retries, tokens, dollars, and cache hits — which cost nothing. Workers send
 * snapshots; the coordinator merges them into the run's totals.
 */
import { ValidationError } from "@maspo/core";
import type { LlmRole } from "@maspo/core";
import type { LlmEndpoint } from "./llm-endpoint.js";
import {
  issuesFromZod,
  type LlmAccountingRow,
  type LlmAccountingSnapshot,
  type LlmCounters,
  llmAccountingSnapshotSchema,
} from "@maspo/core";

/** Dollars for a call's tokens at an endpoint's per-million-token prices. */
export function callCostUsd(price: LlmEndpoint["price"], promptTokens: number, completionTokens: number): number {
  return (promptTokens * price.inputPerMTok + completionTokens * price.outputPerMTok) / 1_000_000;
}

function zeroCounters(): LlmCounters {
  return { calls: 0, failedAttempts: 0, retries: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, cacheHits: 0 };
}

type Who = Pick<LlmAccountingRow, "endpointId" | "model" | "role">;

export class LlmAccounting {
  private readonly rows = new Map<string, LlmAccountingRow>();

  recordCall(endpoint: LlmEndpoint, role: LlmRole, usage: { promptTokens: number; completionTokens: number }): void {
    const row = this.row({ endpointId: endpoint.id, model: endpoint.model, role });
    row.calls++;
    row.promptTokens += usage.promptTokens;
    row.completionTokens += usage.completionTokens;
    row.costUsd += callCostUsd(endpoint.price, usage.promptTokens, usage.completionTokens);
  }

  recordFailedAttempt(endpoint: LlmEndpoint, role: LlmRole): void {
    this.row({ endpointId: endpoint.id, model: endpoint.model, role }).failedAttempts++;
  }

  recordRetry(endpoint: LlmEndpoint, role: LlmRole): void {
    this.row({ endpointId: endpoint.id, model: endpoint.model, role }).retries++;
  }

  recordCacheHit(endpoint: LlmEndpoint, role: LlmRole): void {
    this.row({ endpointId: endpoint.id, model: endpoint.model, role }).cacheHits++;
  }

  snapshot(): LlmAccountingSnapshot {
    const rows = [...this.rows.values()].map((r) => ({ ...r }));
    rows.sort((a, b) => cmp(a.endpointId, b.endpointId) || cmp(a.model, b.model) || cmp(a.role, b.role));
    return { rows };
  }

  /** Add another accounting's snapshot (e.g. a worker's) into this one. */
  merge(snapshot: unknown): void {
    const parsed = llmAccountingSnapshotSchema.safeParse(snapshot);
    if (!parsed.success) throw new ValidationError("LLM accounting snapshot", issuesFromZod(parsed.error, snapshot));
    for (const other of parsed.data.rows) {
      const row = this.row(other);
      for (const k of Object.keys(zeroCounters()) as (keyof LlmCounters)[]) row[k] += other[k];
    }
  }

  /** Sums over rows, optionally only those matching a role and/or endpoint. */
  totals(filter: { role?: LlmRole; endpointId?: string } = {}): LlmCounters {
    const sum = zeroCounters();
    for (const row of this.rows.values()) {
      if (filter.role !== undefined && row.role !== filter.role) continue;
      if (filter.endpointId !== undefined && row.endpointId !== filter.endpointId) continue;
      for (const k of Object.keys(sum) as (keyof LlmCounters)[]) sum[k] += row[k];
    }
    return sum;
  }

  private row(who: Who): LlmAccountingRow {
    const id = JSON.stringify([who.endpointId, who.model, who.role]);
    let row = this.rows.get(id);
    if (!row) {
      row = { endpointId: who.endpointId, model: who.model, role: who.role, ...zeroCounters() };
      this.rows.set(id, row);
    }
    return row;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

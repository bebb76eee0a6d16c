/**
 * Counting what an evaluation spent: LLM calls, cache hits and tokens, kept apart for the serving
 * re-runs and the judge so a run's report (and its budget guard) can say where the cost went.
 */
import type { LlmCallResult } from "./llm-caller.js";

export interface CallTally {
  /** Calls answered, including cache hits. */
  calls: number;
  /** Of those, answered from the response cache (no new model call, no cost). */
  cached: number;
  promptTokens: number;
  completionTokens: number;
}

export const EMPTY_TALLY: CallTally = Object.freeze({ calls: 0, cached: 0, promptTokens: 0, completionTokens: 0 });

export function tallyOf(result: Pick<LlmCallResult, "cached" | "usage">): CallTally {
  return {
    calls: 1,
    cached: result.cached ? 1 : 0,
    promptTokens: result.usage.promptTokens,
    completionTokens: result.usage.completionTokens,
  };
}

export function addTallies(...tallies: readonly CallTally[]): CallTally {
  return tallies.reduce(
    (sum, t) => ({
      calls: sum.calls + t.calls,
      cached: sum.cached + t.cached,
      promptTokens: sum.promptTokens + t.promptTokens,
      completionTokens: sum.completionTokens + t.completionTokens,
    }),
    EMPTY_TALLY,
  );
}

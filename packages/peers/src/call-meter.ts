/**
 * What a search spent, counted the one way every optimizer in the bench is counted: LLM calls sent
 * (answers that did not come from the response cache) and their tokens, through a wrapper around the
 * run's LLM client. The bench wraps full MASPO's client with the same meter, so "equal budget" means
 * the same thing on both sides.
 */
import type { LlmCaller } from "@maspo/core";

export interface Spend {
  /** Calls sent: cache misses that returned a completion. */
  calls: number;
  /** Prompt plus completion tokens of those calls. */
  tokens: number;
  /** Requests answered by the response cache (free). */
  cacheHits: number;
}

export interface CallMeter {
  /** The caller to hand to the machinery: every call passes through the meter. */
  llm: LlmCaller;
  spent(): Spend;
}

/** Counts the calls `llm` answers while `counting()` holds (e.g. only during search, not the held-out finish). */
export function meterCalls(llm: LlmCaller, counting: () => boolean = () => true): CallMeter {
  const spend: Spend = { calls: 0, tokens: 0, cacheHits: 0 };
  return {
    llm: {
      async complete(request) {
        const result = await llm.complete(request);
        if (counting()) {
          if (result.cached) spend.cacheHits++;
          else {
            spend.calls++;
            spend.tokens += result.usage.promptTokens + result.usage.completionTokens;
          }
        }
        return result;
      },
      ...(llm.probe ? { probe: (endpointId: string) => (llm.probe as NonNullable<LlmCaller["probe"]>)(endpointId) } : {}),
    },
    spent: () => ({ ...spend }),
  };
}

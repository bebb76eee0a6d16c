/**
 * One task's view of the worker's shared LLM client. It tallies the task's network calls and cache
 * hits per endpoint, model and role (concurrent tasks share one client, so the client's own
 * accounting cannot say which task spent what; this view can, and its snapshot travels back with the
 * result), and it remembers the first transient failure of any call. The executor, evaluator and
 * mutator absorb a failed call into their result (an error step, a tie, a dropped proposal), which
 * is right for an LLM that answered badly but wrong for weather: an outage, a rate limit or the
 * shared cache out of reach during a NATS restart would change the run's result. Such a task is
 * failed retryably instead, and done again once the weather has passed.
 */
import { BudgetSpentError, LlmAccounting, LlmError, ResponseCacheError, type LlmEndpoint } from "@maspo/llm";
import { type LlmAccountingSnapshot } from "@maspo/core";
import { type LlmCaller } from "@maspo/core";

export interface TaskUsage {
  llm: LlmCaller;
  snapshot(): LlmAccountingSnapshot;
  /** The first call failure that says nothing about the request itself, if any happened. */
  transientFailure(): Error | undefined;
  /** The first call refused because the run's budget is spent, if any was: the task cannot be done, nor its value trusted. */
  budgetRefusal(): BudgetSpentError | undefined;
}

export function measureTaskUsage(llm: LlmCaller, endpoints: ReadonlyMap<string, LlmEndpoint>, signal?: AbortSignal): TaskUsage {
  const accounting = new LlmAccounting();
  let transient: Error | undefined;
  let refusal: BudgetSpentError | undefined;
  return {
    llm: {
      async complete(request) {
        let result;
        try {
          result = await llm.complete(signal && !request.signal ? { ...request, signal } : request);
        } catch (err) {
          if (isTransient(err)) transient ??= err;
          if (err instanceof BudgetSpentError) refusal ??= err;
          throw err;
        }
        const endpoint = endpoints.get(request.endpointId);
        if (endpoint) {
          if (result.cached) accounting.recordCacheHit(endpoint, request.role);
          else accounting.recordCall(endpoint, request.role, result.usage);
          // Weather the call rode out travels with the task's usage, so the run's report shows it.
          for (let i = 0; i < (result.failedAttempts ?? 0); i++) {
            accounting.recordFailedAttempt(endpoint, request.role);
            accounting.recordRetry(endpoint, request.role);
          }
        }
        return result;
      },
      // A probe is uncached and unaccounted by design: it only asks whether the endpoint can serve.
      ...(llm.probe ? { probe: (endpointId: string) => (llm.probe as NonNullable<LlmCaller["probe"]>)(endpointId) } : {}),
    },
    snapshot: () => accounting.snapshot(),
    transientFailure: () => transient,
    budgetRefusal: () => refusal,
  };
}

function isTransient(err: unknown): err is Error {
  if (err instanceof ResponseCacheError) return true;
  return err instanceof LlmError && (err.details.retryable || err.code === "E_LLM_ABORTED" || err.code === "E_LLM_DEADLINE");
}

/**
 * A peer whose every request is answered from the response cache spends nothing, so a budget of
 * calls alone would never stop it (GEPA skipping minibatches its parent aces, a search that keeps
 * proposing what it already tried). It stops after `limit` consecutive iterations that sent no call.
 */
import type { Spend } from "./call-meter.js";

export const STALL_LIMIT = 500;

export function stallGuard(spent: () => Spend, limit = STALL_LIMIT): () => boolean {
  let last = -1;
  let idle = 0;
  return () => {
    const calls = spent().calls;
    if (calls === last) idle++;
    else {
      idle = 0;
      last = calls;
    }
    return idle >= limit;
  };
}

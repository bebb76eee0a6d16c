/**
 * Minibatch draws. Every parent in a step is scored on the same minibatch (so cumulative scores
 * are comparable), drawn from the train pool by the step's seeded RNG. Examples that misled an
 * agent's predecessors are injected (at most half the batch) so the agent learns to cope with them.
 */
import type { Rng } from "@maspo/core";
import type { Example } from "@maspo/core";

export function drawMinibatch(rng: Rng, pool: readonly Example[], size: number, injectedExampleIds: readonly string[] = []): Example[] {
  const byId = new Map(pool.map((e) => [e.id, e]));
  const maxInjected = Math.floor(size / 2);
  const injected: Example[] = [];
  for (const id of rng.shuffle([...new Set(injectedExampleIds)].sort())) {
    const ex = byId.get(id);
    if (ex && injected.length < maxInjected) injected.push(ex);
  }
  const taken = new Set(injected.map((e) => e.id));
  const rest = rng.sample(
    pool.filter((e) => !taken.has(e.id)),
    size - injected.length,
  );
  return [...injected, ...rest];
}

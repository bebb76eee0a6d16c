/**
 * Random search, the floor of search, on maspo's machinery: from the incumbent, an (agent, operator)
 * pair drawn uniformly, one child proposed by maspo's own mutator (its meta-prompt, from the
 * incumbent's traces on a minibatch), the child scored on the whole train pool, and kept when its
 * train metric is higher: the best of N proposals at an equal number of calls.
 */
import { Rng, deriveSeed } from "@maspo/core";
import { type PeerMachinery, runAll, scoresOf } from "./machinery.js";
import type { SearchBudget } from "./search-budget.js";
import { stallGuard } from "./stall-guard.js";

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

export async function randomSearch(m: PeerMachinery, budget: SearchBudget): Promise<void> {
  const rng = Rng.derive(m.seed, "random-search");
  const agents = m.graph.agents.map((a) => a.id);
  let incumbent: Record<string, string> = { ...m.initialPrompts };
  budget.record(incumbent);
  let traces = await runAll(m.workers, incumbent, m.train);
  let score = mean(scoresOf(traces));
  const stalled = stallGuard(m.spent);

  for (let n = 0; !budget.exhausted() && !stalled(); n++) {
    const agentId = rng.pick(agents);
    const operator = rng.pick(m.operators);
    const shown = rng.sample(traces, m.minibatchSize);
    const [proposal] = await m.workers.mutate({
      agentId,
      parent: incumbent[agentId] as string,
      operator,
      traces: shown,
      hardNegatives: [],
      children: 1,
      existingPrompts: [],
      seed: deriveSeed(m.seed, "random-search", n),
      noTraces: false,
    });
    if (!proposal) continue;
    const child = { ...incumbent, [agentId]: proposal.prompt };
    const childTraces = await runAll(m.workers, child, m.train);
    const childScore = mean(scoresOf(childTraces));
    if (childScore > score) {
      incumbent = child;
      traces = childTraces;
      score = childScore;
      budget.record(incumbent);
    }
  }
}

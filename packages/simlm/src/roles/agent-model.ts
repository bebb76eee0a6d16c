/**
 * An agent's behaviour as numbers: which features its output has and how likely it is to be right,
 * given the directives in its prompt, what its predecessors' outputs contain, and the example's
 * difficulty. The simulated agent (agent-role.ts) draws from it and the oracle (oracle/oracle.ts) takes
 * its expectation — one model, so the oracle's ceiling is what the graph actually scores.
 */
import type { CompiledWorld } from "../world/compiled-world.js";
import type { WorldAgent } from "../world/world-schema.js";

/** The features an agent's output has under a directive set, in output order. Removals win over additions. */
export function outputFeatures(cw: CompiledWorld, agent: WorldAgent, directives: ReadonlySet<string>): string[] {
  const present = new Set(agent.emits);
  const removed = new Set<string>();
  for (const d of agent.directives) {
    if (!directives.has(d.id)) continue;
    for (const f of d.adds) present.add(f);
    for (const f of d.removes) removed.add(f);
  }
  return cw.featureOrder.filter((f) => present.has(f) && !removed.has(f));
}

/** Does an output with these features carry content a wrong agent gets wrong (so successors can tell)? */
export function carriesContent(cw: CompiledWorld, features: readonly string[]): boolean {
  return features.some((f) => cw.features.get(f)?.carrying === true);
}

export function successLogit(
  agent: WorldAgent,
  directives: ReadonlySet<string>,
  upstreamFeatures: ReadonlySet<string>,
  difficulty: number,
): number {
  let logit = agent.skill - agent.difficultyWeight * difficulty;
  for (const d of agent.directives) if (directives.has(d.id)) logit += d.skill;
  for (const rule of agent.inputs) {
    if (rule.directive !== undefined && !directives.has(rule.directive)) continue;
    logit += upstreamFeatures.has(rule.feature) ? rule.present : rule.absent;
  }
  return logit;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Chance of still getting it right when a predecessor handed over wrong content. */
export function recoverProbability(agent: WorldAgent, directives: ReadonlySet<string>): number {
  let p = agent.recover;
  for (const d of agent.directives) if (directives.has(d.id)) p += d.recover;
  return Math.min(1, Math.max(0, p));
}

/** Probability the agent's output is right. */
export function successProbability(
  agent: WorldAgent,
  directives: ReadonlySet<string>,
  upstreamFeatures: ReadonlySet<string>,
  upstreamRight: boolean,
  difficulty: number,
): number {
  const own = sigmoid(successLogit(agent, directives, upstreamFeatures, difficulty));
  return upstreamRight ? own : own * recoverProbability(agent, directives);
}

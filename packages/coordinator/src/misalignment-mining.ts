/**
 * ℬ_mis in and out (shared/maspo.md, workflow step 3 and "Misalignment case"). In: after every
 * scoring step, the agent's strongest `casesPerStep` misalignment cases (won locally, lost on
 * lookahead or global) enter the buffer — the step's strongest only, so one noisy step cannot fill
 * the budget. Out, the two uses the method prescribes: as hard negatives in that agent's own
 * mutations, and as examples injected into its successors' minibatches. All three are off under the
 * no-misalignment ablation.
 */
import { strongestPerAgent } from "@maspo/core";
import type { Evaluation, HardNegative } from "@maspo/core";
import type { LoopContext } from "./loop-context.js";
import type { StoredCase } from "./run-state.js";

/** Misalignment mining: the step's strongest `casesPerStep` cases of this agent enter the buffer, not every case seen. */
export function mine(ctx: LoopContext, agentId: string, evaluations: readonly Evaluation[], round: number): void {
  const { config, buffer, state } = ctx;
  if (config.ablations.noMisalignment) return;
  const own = evaluations.flatMap((e) => e.cases).filter((c) => c.agentId === agentId);
  const cases: StoredCase[] = strongestPerAgent(own, config.misalignment.casesPerStep).map((c) => ({ ...c, round }));
  buffer.add(cases);
  state.buffer = buffer.toJSON();
}

/** Examples that misled this agent's predecessors: injected into its minibatches. */
export function injectedFor(ctx: LoopContext, agentId: string): string[] {
  const { config, buffer } = ctx;
  if (config.ablations.noMisalignment) return [];
  const preds = config.graph.agents.find((a) => a.id === agentId)?.predecessors ?? [];
  return preds.flatMap((p) => buffer.forAgent(p).map((c) => c.exampleId));
}

/** The agent's own strongest cases, shown to the optimizer as labelled hard negatives. */
export function hardNegativesFor(ctx: LoopContext, agentId: string): HardNegative[] {
  if (ctx.config.ablations.noMisalignment) return [];
  return ctx.buffer.strongest(agentId, ctx.config.misalignment.casesPerStep);
}

/**
 * The guard floors a run states up front (shared/maspo.md, "Inputs"): a candidate below the final
 * metric or local validity floor is not admitted to the beam, and a round that spends more than
 * `tokensPerRoundMax` skips its remaining agents. Each guard that fires is recorded, so the report
 * can say which floor stopped what instead of the run silently doing less.
 */
import type { BeamMember } from "./beam.js";
import type { LoopContext } from "./loop-context.js";
import type { GuardEvent } from "./run-state.js";

/** Guard floors: a candidate that breaks one is not promoted, and the report says which floor stopped it. */
export function passesGuards(ctx: LoopContext, agentId: string, round: number, member: BeamMember): boolean {
  const { finalMetricFloor, localValidityFloor } = ctx.config.guards;
  const events: GuardEvent[] = [];
  if (finalMetricFloor !== null && member.finalMetric !== null && member.finalMetric < finalMetricFloor) {
    events.push({
      round,
      agent: agentId,
      guard: "finalMetricFloor",
      detail: `candidate ${member.version} final metric ${member.finalMetric.toFixed(3)} < floor ${finalMetricFloor}`,
    });
  }
  if (localValidityFloor !== null && member.lenses.local < localValidityFloor) {
    events.push({
      round,
      agent: agentId,
      guard: "localValidityFloor",
      detail: `candidate ${member.version} local validity ${member.lenses.local.toFixed(3)} < floor ${localValidityFloor}`,
    });
  }
  ctx.state.guardEvents.push(...events);
  return events.length === 0;
}

/**
 * The round guard, checked before each agent step: once the round has spent more than
 * `tokensPerRoundMax`, this and every later agent of the round are skipped (the round end still
 * runs and clears the flag). True when the step must not run.
 */
export function roundOverTokenBudget(ctx: LoopContext, agentId: string, round: number): boolean {
  const { state, workers } = ctx;
  if (state.skipRoundAfterGuard) return true;
  const { tokensPerRoundMax } = ctx.config.guards;
  if (tokensPerRoundMax !== null && workers.usage().tokens - state.roundStartTokens > tokensPerRoundMax) {
    state.guardEvents.push({
      round,
      agent: agentId,
      guard: "tokensPerRoundMax",
      detail: `round ${round} used more than ${tokensPerRoundMax} tokens; remaining agents skipped this round`,
    });
    state.skipRoundAfterGuard = true;
    return true;
  }
  return false;
}

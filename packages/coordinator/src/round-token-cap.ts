/**
 * The round's token cap (guards.tokensPerRoundMax, shared/maspo.md "Inputs": tokens per round ≤ z),
 * enforced with reservations like the run's budget. What it bounds:
 *
 * - A round is its agent steps, the round end's re-scoring of stale beams and the round end's
 *   train-pool measure: every token the run is served from the round's first step to the end of its
 *   round end counts in it (orientation and beam initialisation come before round 1 and are in no
 *   round; the run's budget bounds them).
 * - The round end's measure is reserved up front: the agent steps and the re-scoring are held to the
 *   ceiling `tokens at the round's start + cap − reserve`, where the reserve is what the last measure
 *   of a whole graph on the train pool cost (orientation's, then the previous round end's: its
 *   traces' tokens, cached or not, or what it was served if more — a label-free measure's judge calls).
 *   The ceiling is set in the spend ledger every process reserves against (workers.capRoundTokens):
 *   a call is admitted while served + reserved tokens stay below it and refused once served tokens
 *   reach it (E_LLM_ROUND_CAP), so they pass it by at most the worst case of the attempts in flight.
 * - A step (or a stale beam's re-scoring) in which the ceiling is reached is dropped, whether its calls
 *   were refused or it finished: its state is put back as it was before it, like a budget stop's, so
 *   which step a round ends in never depends on the order concurrent calls were served in. The
 *   round's remaining agent steps are skipped, and a guard event names the dropped step.
 * - The round end's measure itself runs with the cap lifted and is counted: it is the round's graph's
 *   only train metric (the best graph kept, patience and the target metric read it), so it is never
 *   refused. Its reserve makes it fit; a round that ends above its cap all the same (its measure cost
 *   more than reserved) is a guard event too. Each round's summary records the figures (`tokenCap`).
 *
 * No cap (null, the default): none of this runs, and the run makes exactly the calls it would without it.
 */
import type { Trace } from "@maspo/core";
import type { LoopContext } from "./loop-context.js";
import { MisalignmentBuffer } from "./misalignment-buffer.js";
import type { RoundSummary, RunState, StoredCase } from "./run-state.js";

/** The spec's cap, or null (no cap: nothing here does anything). */
function capOf(ctx: LoopContext): number | null {
  return ctx.config.guards.tokensPerRoundMax;
}

async function servedTokens(ctx: LoopContext): Promise<number> {
  await ctx.workers.refreshUsage?.();
  return ctx.workers.usage().tokens;
}

/** Opens the round's token window at its first step (a resumed run finds it open in its checkpoint). */
async function openRound(ctx: LoopContext, round: number): Promise<void> {
  const { state } = ctx;
  if (state.roundWindow?.round === round) return;
  // From the count checkpointed with the step before, not the ledger now: a resumed coordinator opens
  // the round after the killed one's in-flight tasks were served by the workers that outlived it, and
  // those tokens are the round's as much as in the uninterrupted run.
  state.roundStartTokens = state.tokensAtStepEnd ?? (await servedTokens(ctx));
  state.skipRoundAfterGuard = false;
  state.roundWindow = { round, reserved: state.roundEndReserve ?? 0 };
}

/** The run's served-token count a round's steps are held below: its start, plus the cap, less the round end's reserve. */
function stepCeiling(state: RunState, cap: number): number {
  return Math.max(0, state.roundStartTokens + cap - (state.roundWindow?.reserved ?? 0));
}

/**
 * Runs one capped unit of round `round` (an agent step, or a stale beam's re-scoring at its round
 * end) under the round's ceiling. False when it did not count: skipped (the round's ceiling was
 * reached before it) or dropped (reached during it; the state is as it was before it).
 */
export async function withinRoundCap(
  ctx: LoopContext,
  round: number,
  what: { agent: string; label: string },
  unit: () => Promise<unknown>,
): Promise<boolean> {
  const cap = capOf(ctx);
  if (cap === null) {
    await unit();
    return true;
  }
  const { agent, label } = what;
  await openRound(ctx, round);
  const { state } = ctx;
  if (state.skipRoundAfterGuard) return false;
  const ceiling = stepCeiling(state, cap);
  const reserved = state.roundWindow?.reserved ?? 0;
  // Every figure in a guard event is one that does not depend on the order calls were served in.
  const share = `its steps may spend tokensPerRoundMax ${cap} less the ${reserved} reserved for its round end's train-pool measure`;
  if ((await servedTokens(ctx)) >= ceiling) {
    skipRest(
      ctx,
      round,
      agent,
      `${label} skipped: the round's token ceiling is reached before it (${share}); the round's remaining agent steps are skipped`,
    );
    return false;
  }
  await ctx.workers.capRoundTokens?.({ round, capTokens: cap, ceilingTokens: ceiling });
  const before = structuredClone(state);
  let failure: { err: unknown } | undefined;
  try {
    await unit();
  } catch (err) {
    failure = { err };
    // The unit's other tasks may still be running: they end (refused, or answered) before anything is read.
    await ctx.workers.idle?.();
  }
  const atEnd = await servedTokens(ctx);
  if (atEnd < ceiling) {
    if (failure) throw failure.err;
    return true;
  }
  restore(ctx, before);
  skipRest(
    ctx,
    round,
    agent,
    `${label} dropped: the round reached its token ceiling during it (${share}; a call beyond the ceiling is refused, E_LLM_ROUND_CAP); ` +
      "the step counts for nothing, and the round's remaining agent steps are skipped",
  );
  return false;
}

/** The state as it was before a dropped unit, the misalignment buffer with it. */
function restore(ctx: LoopContext, before: RunState): void {
  const { state } = ctx;
  for (const key of Object.keys(state) as (keyof RunState)[]) delete state[key];
  Object.assign(state, before);
  ctx.buffer = MisalignmentBuffer.fromJSON<StoredCase>(ctx.config.misalignment.bufferBudget, state.buffer);
}

function skipRest(ctx: LoopContext, round: number, agent: string, detail: string): void {
  ctx.state.guardEvents.push({ round, agent, guard: "tokensPerRoundMax", detail });
  ctx.state.skipRoundAfterGuard = true;
}

/** Tokens a whole-graph run of these traces costs, whether its calls were cached or not. */
export function traceTokens(traces: readonly Trace[]): number {
  let n = 0;
  for (const t of traces) {
    for (const id of t.executed) {
      const usage = t.steps[id]?.usage;
      if (usage) n += usage.promptTokens + usage.completionTokens;
    }
  }
  return n;
}

/** Orientation's measure of the baseline on the train pool: the first round end's reserve. */
export function noteOrientationMeasure(ctx: LoopContext, traces: readonly Trace[]): void {
  if (capOf(ctx) !== null) ctx.state.roundEndReserve = traceTokens(traces);
}

/**
 * The round end's train-pool measure, outside the cap and counted in its round: the ceiling is lifted
 * for it, what it cost becomes the next round's reserve, and a round that ends above its cap is a guard
 * event. Returns the measure's value and, with a cap, the round's figures for its summary.
 */
export async function measureOutsideCap<T>(
  ctx: LoopContext,
  round: number,
  measure: () => Promise<{ value: T; traces: readonly Trace[] }>,
): Promise<{ value: T; tokenCap?: RoundSummary["tokenCap"] }> {
  const cap = capOf(ctx);
  if (cap === null) return { value: (await measure()).value };
  await openRound(ctx, round);
  await ctx.workers.capRoundTokens?.(null);
  const { state } = ctx;
  const reserved = state.roundWindow?.reserved ?? 0;
  const before = await servedTokens(ctx);
  const { value, traces } = await measure();
  const after = await servedTokens(ctx);
  const measured = after - before;
  state.roundEndReserve = Math.max(traceTokens(traces), measured);
  const spent = after - state.roundStartTokens;
  // Over the cap because the measure outgrew its reserve (steps stop at their share, give or take a
  // call in flight): both conditions are the same however calls were ordered, so the event is too.
  if (spent > cap && measured > reserved) {
    state.guardEvents.push({
      round,
      agent: "round end",
      guard: "tokensPerRoundMax",
      detail:
        `round ${round} passed tokensPerRoundMax ${cap}: its round end's train-pool measure took ${measured} tokens, ${reserved} were reserved for it ` +
        "(the measure is never refused: the round's graph needs its train metric; the next round reserves what it took)",
    });
  }
  return { value, tokenCap: { cap, reserved, spent, measure: measured } };
}

/** After the last step: the cap no longer holds (the finish's held-out measurement is no round). */
export async function liftRoundCap(ctx: LoopContext): Promise<void> {
  if (capOf(ctx) !== null) await ctx.workers.capRoundTokens?.(null);
}

/** With a cap: the served-token count at the end of a step, checkpointed with it (where the next round starts). */
export async function noteStepEnd(ctx: LoopContext): Promise<void> {
  if (capOf(ctx) === null) return;
  ctx.state.tokensAtStepEnd = await servedTokens(ctx);
}

/**
 * The run's state reduced to what the coordinator's metrics show: round, step, buffer size, the
 * train metric (best so far, and the latest round's), and per agent the best beam member's composite
 * score J and its Global Alignment win rate (both relative to the current reference).
 */
import type { RunSnapshot } from "@maspo/cluster";
import type { StepEvent } from "@maspo/coordinator";

export function runSnapshotOf(event: Pick<StepEvent, "index" | "total" | "state"> & { round: number }): RunSnapshot {
  const { state } = event;
  return {
    round: event.round,
    step: event.index + 1,
    totalSteps: event.total,
    bufferSize: state.buffer.length,
    bestTrainMetric: Number.isFinite(state.bestTrainMetric) ? state.bestTrainMetric : null,
    trainMetric: state.rounds.at(-1)?.trainMetric ?? state.orientation?.trainMetric ?? null,
    agents: Object.entries(state.beams).flatMap(([agent, beam]) => {
      const top = beam[0];
      return top ? [{ agent, composite: top.J, global: top.lenses.global }] : [];
    }),
  };
}

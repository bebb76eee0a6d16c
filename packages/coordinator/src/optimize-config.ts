/**
 * What one optimization run is configured with: the inputs shared/maspo.md requires to be stated
 * before a run starts (graph, initial prompts, train pool, beam and round sizes, operators, buffer
 * budget, weights, guard floors, stop condition), as the loop reads them. The held-out split is
 * deliberately absent: the loop must never see it.
 */
import type { AgentGraph } from "@maspo/core";
import type { Example } from "@maspo/core";
import type { Ablations } from "@maspo/core";
import type { JointWeights } from "@maspo/core";
import type { FinalMeasure } from "./final-measure.js";

export interface OptimizeConfig {
  graph: AgentGraph;
  initialPrompts: Record<string, string>;
  /** The train pool. The held-out split is never given to the loop. */
  train: Example[];
  seed: number;
  search: {
    beamSize: number;
    rounds: number;
    epochs: number;
    childrenPerParent: number;
    minibatchSize: number;
    stepsPerAgent: number;
    operators: string[];
  };
  misalignment: { bufferBudget: number; casesPerStep: number };
  weights: JointWeights;
  guards: { finalMetricFloor: number | null; localValidityFloor: number | null; tokensPerRoundMax: number | null };
  stop: {
    targetMetric: number | null;
    patience: number;
    deadlineAt: number | null;
    budgetUsd: number | null;
    /** Tokens (prompt and completion, every role); absent or null: no token budget. */
    budgetTokens?: number | null;
  };
  ablations: Ablations;
  /**
   * How the train pool's round metric is measured (final-measure.ts): the task metric (the default),
   * or, for a run without labels, the judged win rate of the current graph's final answers against
   * the baseline graph's. It drives patience, the target metric and the returned best set.
   */
  measure?: FinalMeasure;
}

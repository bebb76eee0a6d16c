/**
 * What the coordinator asks of its workers. The loop only ever calls these three functions with
 * plain data, so the embedded mode (direct calls into the executor, evaluator and mutator packages)
 * and the cluster mode (the same calls as JetStream tasks) run the very same optimization.
 */
import type { MisalignmentCase } from "@maspo/evaluator";
import type { Example, Trace } from "@maspo/executor";
import type { LensScores } from "./beam.js";

export interface JointWeights {
  local: number;
  lookahead: number;
  global: number;
}

export interface RunGraphRequest {
  prompts: Record<string, string>;
  example: Example;
  base?: Trace;
  rerunFrom?: string;
}

export interface EvaluateRequest {
  agentId: string;
  candidate: string;
  reference: string;
  /** The current prompt assignment for every agent (the candidate's agent included: the reference). */
  prompts: Record<string, string>;
  minibatch: Example[];
  /** The minibatch run under `prompts`: the shared upstream part is taken from here. */
  baseTraces: Trace[];
  weights: JointWeights;
  /** Compare lookahead at all (off in the no-lookahead and global-only ablations). */
  lookahead: boolean;
}

/** A hard negative: a misalignment case as the evaluator found it and the mutator shows it. */
export type HardNegative = MisalignmentCase;

export interface Evaluation {
  /** Joint reward R(candidate, reference) in [0, 1]. */
  R: number;
  lenses: LensScores;
  /** Mean task metric of the candidate's final outputs on the labelled minibatch examples, or null. */
  finalMetric: number | null;
  /** Misalignment cases the candidate produced (won locally, lost downstream). */
  cases: HardNegative[];
  malformedVerdicts: number;
}

export interface MutateRequest {
  agentId: string;
  parent: string;
  operator: string;
  traces: Trace[];
  hardNegatives: HardNegative[];
  children: number;
  existingPrompts: string[];
  seed: number;
  noTraces: boolean;
}

export interface Proposal {
  prompt: string;
  operator: string;
  traceIds: string[];
  hardNegativeIds: string[];
}

export interface UsageTotals {
  calls: number;
  tokens: number;
  usd: number;
  cacheHits: number;
}

export interface EngineWorkers {
  runGraph(request: RunGraphRequest): Promise<Trace>;
  evaluate(request: EvaluateRequest): Promise<Evaluation>;
  mutate(request: MutateRequest): Promise<Proposal[]>;
  /** Spend so far (for token guards and the budget stop). */
  usage(): UsageTotals;
}

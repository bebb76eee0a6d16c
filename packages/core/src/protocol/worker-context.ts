/**
 * What a task adapter needs besides its request: the run's graph, the process's LLM caller, the
 * run seed, the judge and optimizer endpoints, and the task metric. A worker process builds it once
 * from the run's spec (with API keys from its own environment); nothing in it travels on the bus.
 */
import type { AgentGraph } from "../agent-graph.js";
import type { LlmCaller } from "../llm-caller.js";
import type { TaskDescription } from "./task-description.js";
import type { Example } from "./trace.js";

export interface WorkerContext {
  graph: AgentGraph;
  llm: LlmCaller;
  /** The run seed: every LLM request carries it. */
  seed: number;
  judgeModels: { local: string; lookahead: string; global: string };
  /** The optimizer endpoint, its temperature, and the spec's length budget of a proposed prompt (characters), when set. */
  optimizer: { model: string; temperature: number; promptBudgetChars?: number };
  /** The task metric of a final output, or undefined when the example has no label (or none applies). */
  scoreFinal?: FinalScorer;
  /**
   * A label-free task's answer contract (a judge metric's `extract`): does a final output state an
   * answer in the required form? One that does not loses to one that does without a judge call.
   */
  hasAnswer?: (finalOutput: string) => boolean;
  /** The spec's task description: the judge and the optimizer are told it. */
  task?: TaskDescription;
}

/**
 * The task metric on one final output: a score in [0, 1], or undefined when it does not apply (a
 * label metric on an unlabelled example). Asynchronous for the metrics that run something (code
 * against tests, a user's module); a throw is an error of the task, never a score.
 */
export type FinalScorer = (finalOutput: string, example: Example) => number | undefined | Promise<number | undefined>;

/** A task adapter: a pure async function of its package, registered with the task handler. */
export type TaskAdapter<Req, Res> = (ctx: WorkerContext, request: Req) => Promise<Res>;

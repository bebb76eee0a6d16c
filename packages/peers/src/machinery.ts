/**
 * maspo's own machinery, opened for a peer: the spec's data and train pool (as `maspo run` draws it),
 * the run's LLM client (simlm in process, the response cache, retries and limits) behind the call
 * meter, and the coordinator's in-process workers — the task handler over the executor's, evaluator's
 * and mutator's adapters — exactly as an embedded run builds them. Peers run graphs through
 * `workers.runGraph`, judge through `workers.evaluate`, mutate through `workers.mutate`, and send their
 * own optimizer requests through `llm`. The held-out split is run only by `heldOutScore`, after search
 * (the meter no longer counts by then), as maspo's finish runs it.
 */
import {
  type AgentGraph,
  type EngineWorkers,
  type Example,
  type LlmCaller,
  type MutationOperator,
  type RunSpec,
  type Trace,
  agentGraphOf,
  initialPromptTexts,
  listModelEndpoints,
  meanFinalScore,
} from "@maspo/core";
import { MemoryResponseCache } from "@maspo/llm";
import { createRunLlmClient, resolveData, startInProcessWorkers, trainPoolOf, workerContextOf } from "@maspo/run";
import { type Spend, meterCalls } from "./call-meter.js";
import type { PromptSet } from "./search-budget.js";

/** What a peer algorithm is given: the graph, the data it may tune on, and the machinery. */
export interface PeerMachinery {
  graph: AgentGraph;
  initialPrompts: PromptSet;
  /** maspo's train pool for this spec and seed: the only examples a peer sees. */
  train: readonly Example[];
  seed: number;
  optimizer: { model: string; temperature: number };
  /** The spec's mutation operators (random search draws from them). */
  operators: readonly MutationOperator[];
  /** The spec's minibatch size. */
  minibatchSize: number;
  workers: EngineWorkers;
  /** The metered LLM client, for the peer's own optimizer requests. */
  llm: LlmCaller;
  spent(): Spend;
}

export interface OpenedMachinery extends PeerMachinery {
  heldOut: readonly Example[];
  /** Stop counting: search is over. */
  endSearch(): void;
  /** The held-out final metric of a prompt set, as maspo's finish measures it (every held-out example, the task metric). */
  heldOutScore(prompts: PromptSet): Promise<number>;
  close(): Promise<void>;
}

export interface OpenMachineryOptions {
  spec: RunSpec;
  /** Directory of the spec file (relative dataset paths resolve against it). */
  specDir: string;
  env: Record<string, string | undefined>;
}

/** Runs `prompts` on each example through the workers (the executor's task adapter), in example order. */
export function runAll(workers: EngineWorkers, prompts: PromptSet, examples: readonly Example[]): Promise<Trace[]> {
  return Promise.all(examples.map((example) => workers.runGraph({ prompts: { ...prompts }, example })));
}

/** The task metric of each trace (0 when it has none). */
export function scoresOf(traces: readonly Trace[]): number[] {
  return traces.map((t) => t.finalScore ?? 0);
}

export async function openMachinery(options: OpenMachineryOptions): Promise<OpenedMachinery> {
  const { spec } = options;
  const data = await resolveData(spec, options.specDir);
  const client = createRunLlmClient({ spec, env: options.env, cache: new MemoryResponseCache(), world: data.world });
  let searching = true;
  const meter = meterCalls(client, () => searching);
  const workers = await startInProcessWorkers({
    context: workerContextOf(spec, data.world, meter.llm),
    endpoints: listModelEndpoints(spec),
    settings: spec.cluster,
    evaluationShardSize: spec.concurrency.evaluationShardSize,
  });
  return {
    graph: agentGraphOf(spec),
    initialPrompts: initialPromptTexts(spec),
    train: trainPoolOf(data.train, spec.search.trainPool, spec.seed),
    heldOut: data.heldOut,
    seed: spec.seed,
    optimizer: { model: spec.optimizer.model, temperature: spec.optimizer.temperature },
    operators: [...spec.search.operators],
    minibatchSize: Math.min(spec.search.minibatchSize, data.train.length),
    workers,
    llm: meter.llm,
    spent: meter.spent,
    endSearch: () => {
      searching = false;
    },
    heldOutScore: async (prompts) => meanFinalScore(await runAll(workers, prompts, data.heldOut)) ?? 0,
    close: () => workers.close(),
  };
}

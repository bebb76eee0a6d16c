/**
 * The executor's task adapter: a runGraph request of the worker protocol answered by executeGraph.
 * Registered with the task handler (@maspo/cluster), in a worker process and in the embedded mode alike.
 */
import type { RunGraphRequest, TaskAdapter, Trace } from "@maspo/core";
import { executeGraph } from "./execute-graph.js";

export const runGraphTask: TaskAdapter<RunGraphRequest, Trace> = (ctx, req) =>
  executeGraph({
    graph: ctx.graph,
    prompts: req.prompts,
    example: req.example,
    llm: ctx.llm,
    seed: ctx.seed,
    ...(ctx.scoreFinal ? { scoreFinal: ctx.scoreFinal } : {}),
    ...(req.base && req.rerunFrom ? { base: req.base, rerunFrom: req.rerunFrom } : {}),
  });

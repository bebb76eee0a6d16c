/**
 * The mutator's task adapter: a mutate request of the worker protocol answered by mutate, each
 * proposal reduced to the protocol's Proposal (prompt, operator, the evidence it was made from). The
 * graph tells the optimizer who receives the agent's output, and the run what the task is.
 * Registered with the task handler (@maspo/cluster).
 */
import type { MutateRequest, Proposal, TaskAdapter } from "@maspo/core";
import { successorBriefsOf } from "./meta-prompt.js";
import { mutate } from "./mutate.js";

export const mutateTask: TaskAdapter<MutateRequest, Proposal[]> = async (ctx, req) => {
  const agent = ctx.graph.agents.find((a) => a.id === req.agentId);
  const result = await mutate({
    llm: ctx.llm,
    agentId: req.agentId,
    role: agent?.role ?? req.agentId,
    parent: req.parent,
    operator: req.operator as Parameters<typeof mutate>[0]["operator"],
    traces: req.traces,
    hardNegatives: req.hardNegatives,
    optimizerModel: ctx.optimizer.model,
    temperature: ctx.optimizer.temperature,
    seed: req.seed,
    children: req.children,
    existingPrompts: req.existingPrompts,
    noTraces: req.noTraces,
    successors: successorBriefsOf(ctx.graph, req.agentId, req.traces),
    isFinal: ctx.graph.final === req.agentId,
    ...(ctx.optimizer.promptBudgetChars !== undefined ? { promptBudgetChars: ctx.optimizer.promptBudgetChars } : {}),
    ...(ctx.task ? { task: ctx.task } : {}),
  });
  return result.proposals.map((p) => ({
    prompt: p.prompt,
    operator: p.lineage.operator,
    traceIds: p.lineage.traceIds,
    hardNegativeIds: p.lineage.hardNegativeIds,
  }));
};

/**
 * @maspo/mutator: trace-guided mutation — the five operators turn an agent's real traces (and the
 * misalignment buffer's hard negatives) into an optimizer meta-prompt, and its answer into new prompts.
 *
 * @example
 * ```ts
 * import { mutateTask } from "@maspo/mutator";
 * // ctx: a WorkerContext (graph, llm, seed, judgeModels, optimizer, scoreFinal) — see @maspo/core
 * const proposals = await mutateTask(ctx, {
 *   agentId: "solver", parent, operator: "add_constraint", traces, hardNegatives: [],
 *   children: 1, existingPrompts: [parent], seed: 7, noTraces: false,
 * });
 * ```
 */
export { mutateTask } from "./task.js";
export { mutate, type MutateInput, type MutationResult, type ProposalLineage, type ProposedPrompt } from "./mutate.js";
export { OPERATORS, type OperatorDefinition, type ShownEvidence } from "./operators.js";

/**
 * @maspo/mutator/internal: the mutator's building blocks — the optimizer meta-prompt, request
 * validation, proposal parsing and de-duplication, trace outcomes — for tests and tools. Not part of
 * the documented API: it may change.
 */
export {
  DEFAULT_META_PROMPT_LIMITS,
  DEFAULT_PROMPT_BUDGET_CHARS,
  OPTIMIZER_SYSTEM_MESSAGE,
  PROPOSAL_FORMAT,
  buildMetaPrompt,
  promptBudgetOf,
  successorBriefsOf,
  type MetaPrompt,
  type MetaPromptInput,
  type MetaPromptLimits,
  type SuccessorBrief,
} from "./meta-prompt.js";
export {
  DEFAULT_MUTATION_ATTEMPTS,
  type ChildProblems,
  ProposalLineageSchema,
  MutationRequestSchema,
  ProposedPromptSchema,
  mutate,
  validateMutationRequest,
  type ProposalLineage,
  type MutateInput,
  type MutationRequest,
  type MutationResult,
  type ProposedPrompt,
} from "./mutate.js";
export { OPERATORS, type OperatorDefinition, type ShownEvidence } from "./operators.js";
export { dedupeProposals, parseProposal, type Deduplicated, type ParsedProposal, type ProposalParse } from "./proposals.js";
export { successorStepsOf, traceOutcome, type TraceOutcome } from "./trace-outcome.js";

/** @maspo/mutator: trace-guided mutation — operators, the optimizer meta-prompt, proposal parsing. */
export {
  DEFAULT_META_PROMPT_LIMITS,
  OPTIMIZER_SYSTEM_MESSAGE,
  PROPOSAL_FORMAT,
  buildMetaPrompt,
  type MetaPrompt,
  type MetaPromptInput,
  type MetaPromptLimits,
} from "./meta-prompt.js";
export {
  DEFAULT_MUTATION_ATTEMPTS,
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
export { OPERATORS, type OperatorDefinition } from "./operators.js";
export { dedupeProposals, parseProposal, type Deduplicated, type ParsedProposal, type ProposalParse } from "./proposals.js";
export { successorStepsOf, traceOutcome, type TraceOutcome } from "./trace-outcome.js";
export { mutateTask } from "./task.js";

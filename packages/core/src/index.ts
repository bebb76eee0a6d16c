/** @maspo/core: what every maspo process shares. */
export { MaspoError, ValidationError, formatIssue, type Issue } from "./errors.js";
export { Rng, deriveSeed } from "./rng.js";
export {
  buildAgentMessages,
  buildAgentUserMessage,
  renderAgentPrompt,
  type ChatMessage,
  type PromptParts,
  type UpstreamOutput,
} from "./agent-messages.js";
export {
  agentById,
  descendantsOf,
  successorsOf,
  topologicalOrder,
  type AgentGraph,
  type GraphAgent,
} from "./agent-graph.js";
export type { LlmCallRequest, LlmCallResult, LlmCaller, LlmRole } from "./llm-caller.js";

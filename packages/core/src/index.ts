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

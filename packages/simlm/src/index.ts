/** @maspo/simlm: the simulated LLM world maspo is tested against — worlds, the pure simulation, the oracle. */
export {
  WorldSchema,
  type World,
  type WorldAgent,
  type Directive,
  type FailureSignature,
  type ProblemTemplate,
  type Feature,
  type JudgeLens,
} from "./world-schema.js";
export { loadWorld, bundledWorldNames, bundledWorldPath, parseWorldYaml, validateWorld, WorldNotFoundError } from "./world-load.js";
export { ChatRequestSchema, ChatMessageSchema, messageText, type ChatRequest, type ChatRequestMessage } from "./chat-request.js";
export { simulateChat, countTokens, type SimChatResult, type SimChoice, type SimUsage } from "./simulate-chat.js";
export { generateDataset, scoreWorldFinal, extractFinalAnswer, type WorldExample, type Dataset } from "./dataset.js";
export { runGraphDirect, scorePromptSet, MissingPromptError, type GraphRun } from "./graph-run.js";
export {
  oracle,
  expectedScore,
  initialDirectives,
  promptForDirectives,
  OracleError,
  type OracleResult,
  type DirectiveAssignment,
} from "./oracle.js";
export { detectDirectives, recogniseAgent } from "./prompt-reading.js";
export { compileWorld, type CompiledWorld } from "./compiled-world.js";
export { simCaller, type RecordingSimCaller } from "./sim-caller.js";
export { worldGraph, worldScorer } from "./world-graph.js";
export * from "./serve/index.js";

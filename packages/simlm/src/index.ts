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
} from "./world/world-schema.js";
export { loadWorld, bundledWorldNames, bundledWorldPath, parseWorldYaml, validateWorld, WorldNotFoundError } from "./world/world-load.js";
export { ChatRequestSchema, ChatMessageSchema, messageText, type ChatRequest, type ChatRequestMessage } from "./reading/chat-request.js";
export { simulateChat, countTokens, type SimChatResult, type SimChoice, type SimUsage } from "./roles/simulate-chat.js";
export { generateDataset, scoreWorldFinal, extractFinalAnswer, type WorldExample, type Dataset } from "./world/dataset.js";
export { runGraphDirect, scorePromptSet, MissingPromptError, type GraphRun } from "./oracle/graph-run.js";
export {
  oracle,
  expectedScore,
  initialDirectives,
  promptForDirectives,
  OracleError,
  type OracleResult,
  type DirectiveAssignment,
} from "./oracle/oracle.js";
export { detectDirectives, recogniseAgent } from "./reading/prompt-reading.js";
export { readAgentRequest, type AgentRequestReading, type ChatTurn } from "./reading/agent-request.js";
export {
  readChatRequest,
  type RequestReading,
  type AgentCallReading,
  type JudgeCallReading,
  type OptimizerCallReading,
} from "./roles/request-reading.js";
export { compileWorld, type CompiledWorld } from "./world/compiled-world.js";
export { simCaller, type RecordingSimCaller } from "./serve/sim-caller.js";
export { worldGraph, worldScorer } from "./world/world-graph.js";
export * from "./serve/index.js";

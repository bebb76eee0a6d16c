/** @maspo/executor: runs the agent graph and returns traces. */
export { executeGraph, type ExecuteGraphInput } from "./execute-graph.js";
export {
  AgentStepSchema,
  ExampleSchema,
  TraceSchema,
  meanFinalScore,
  type AgentStep,
  type AgentStepStatus,
  type Example,
  type Trace,
} from "./trace.js";

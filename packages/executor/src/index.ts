/** @maspo/executor: runs the agent graph and returns traces. */
export { executeGraph, type ExecuteGraphInput } from "./execute-graph.js";
export { runGraphTask } from "./task.js";

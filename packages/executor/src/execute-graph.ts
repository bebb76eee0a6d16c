/**
 * Runs the agent graph on one example under a prompt assignment, in topological order, each agent
 * seeing the task input and exactly its declared predecessors' outputs. With `base` + `rerunFrom`
 * it starts mid-graph: agents outside `rerunFrom` and its descendants keep their outputs from the
 * base trace, which is how the evaluator compares two prompts of one agent on identical upstream
 * outputs and how lookahead re-runs only what lies downstream.
 */
import { type AgentGraph, type LlmCaller, agentById, buildAgentMessages, descendantsOf, topologicalOrder } from "@maspo/core";
import { type ErrorCode, MaspoError } from "@maspo/core";
import type { AgentStep, AgentStepStatus, Example, FinalScorer, Trace } from "@maspo/core";

export interface ExecuteGraphInput {
  graph: AgentGraph;
  /** Prompt text per agent id. */
  prompts: Readonly<Record<string, string>>;
  example: Example;
  llm: LlmCaller;
  /** The run seed; every serving call carries it, so identical calls are identical requests (and cache hits). */
  seed: number;
  /** The task metric on the final output (against the label, or the example's tests…); undefined when it does not apply. */
  scoreFinal?: FinalScorer;
  /** Reuse this trace's steps for every agent not re-run. */
  base?: Trace;
  /** Re-run only this agent and its descendants (requires `base`). */
  rerunFrom?: string;
  /** Serving output cap per agent call. */
  maxTokens?: number;
}

// Recognises an explicit refusal so it is recorded as such rather than passed on as an answer.
const REFUSAL = /^\s*(i('| a)m sorry|i cannot|i can't|i won't|as an ai)\b/i;

function statusOf(output: string): AgentStepStatus {
  if (output.trim().length === 0) return "empty";
  if (REFUSAL.test(output)) return "refusal";
  return "ok";
}

export async function executeGraph(input: ExecuteGraphInput): Promise<Trace> {
  const { graph, prompts, example, llm } = input;
  const order = topologicalOrder(graph);
  let toRun: Set<string>;
  if (input.rerunFrom !== undefined) {
    if (!input.base) throw new MaspoError("E_EXECUTOR_RERUN_WITHOUT_BASE", "executeGraph: rerunFrom needs a base trace");
    toRun = new Set([input.rerunFrom, ...descendantsOf(graph, input.rerunFrom)]);
  } else {
    toRun = new Set(order);
  }

  const steps: Record<string, AgentStep> = {};
  const executed: string[] = [];
  for (const agentId of order) {
    if (!toRun.has(agentId)) {
      const reused = input.base?.steps[agentId];
      if (!reused) throw new MaspoError("E_EXECUTOR_BASE_STEP_MISSING", `executeGraph: base trace has no step for "${agentId}"`);
      steps[agentId] = reused;
      continue;
    }
    const agent = agentById(graph, agentId);
    const prompt = prompts[agentId];
    if (prompt === undefined) throw new MaspoError("E_EXECUTOR_PROMPT_MISSING", `executeGraph: no prompt for agent "${agentId}"`);
    const upstream = agent.predecessors.map((p) => ({ agentId: p, output: steps[p]?.output ?? "" }));
    const messages = buildAgentMessages(prompt, example.input, upstream);
    const context = messages[1]?.content ?? "";
    const started = performance.now();
    try {
      const result = await llm.complete({
        endpointId: agent.model,
        role: "serving",
        messages,
        temperature: 0,
        seed: input.seed,
        ...(input.maxTokens !== undefined ? { maxTokens: input.maxTokens } : {}),
      });
      steps[agentId] = {
        agentId,
        prompt,
        context,
        output: result.content,
        status: statusOf(result.content),
        usage: result.usage,
        cached: result.cached,
        latencyMs: performance.now() - started,
      };
    } catch (err) {
      // A failed agent is part of the evidence: record it and let successors see an empty input. The
      // step keeps the thrower's code as a string (the trace is stored and sent as is).
      const e = err as { code?: unknown; message?: unknown };
      steps[agentId] = {
        agentId,
        prompt,
        context,
        output: "",
        status: "error",
        error: { code: typeof e.code === "string" ? e.code : ("E_AGENT_CALL" satisfies ErrorCode), message: String(e.message ?? err) },
        usage: { promptTokens: 0, completionTokens: 0 },
        cached: false,
        latencyMs: performance.now() - started,
      };
    }
    executed.push(agentId);
  }

  const finalOutput = steps[graph.final]?.output ?? "";
  const trace: Trace = { exampleId: example.id, steps, executed, finalAgent: graph.final, finalOutput };
  // The correct answer travels with the trace: a failing trace is the optimizer's evidence, and it is
  // shown what the answer should have been. Never shown to a judge.
  if (example.label !== undefined) trace.label = example.label;
  if (input.scoreFinal) {
    const score = await input.scoreFinal(finalOutput, example);
    if (score !== undefined) trace.finalScore = score;
  }
  return trace;
}

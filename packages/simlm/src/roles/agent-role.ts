/**
 * A simulated agent call (docs/llm-protocol.md §1): recognise the agent from its instruction, the
 * problem from the task and what each predecessor handed over (reading/agent-request.ts reads them
 * from any layout), then write an output whose features come from the prompt's directives and whose
 * correctness is drawn from the agent model.
 */
import type { ChatContext } from "./chat-context.js";
import { contextRng } from "./chat-context.js";
import { outputFeatures, successProbability } from "./agent-model.js";
import { genericReply } from "./generic-role.js";
import { readAgentRequest } from "../reading/agent-request.js";
import { normalize } from "../reading/phrase-match.js";
import { corruptProblem, recogniseProblem, renderFacts, type Problem } from "../world/problem.js";
import { readOutput, renderFeature } from "../reading/output-reading.js";
import { detectDirectives } from "../reading/prompt-reading.js";
import type { WorldAgent } from "../world/world-schema.js";

export interface UpstreamView {
  features: Set<string>;
  /** Every predecessor's stated content agrees with the truth. */
  right: boolean;
}

/** What the predecessors' outputs (every section but the task) give the agent, read from their text. */
export function readUpstream(ctx: ChatContext, sectionsBodies: readonly string[], problem: Problem): UpstreamView {
  const features = new Set<string>();
  let right = true;
  for (const body of sectionsBodies) {
    const read = readOutput(ctx.cw, body, problem);
    for (const f of read.features) features.add(f);
    if (read.wrong) right = false;
  }
  return { features, right };
}

/** The agent's output text when it is right (true facts) or wrong (a corrupted reading of the problem). */
export function renderAgentOutput(
  ctx: ChatContext,
  agent: WorldAgent,
  features: readonly string[],
  problem: Problem,
  right: boolean,
): string {
  const view = right
    ? { facts: renderFacts(problem.template, problem.vars), value: problem.answer }
    : corruptProblem(problem, contextRng(ctx, "corrupt", agent.id, problem.template.template.id, JSON.stringify(problem.vars)));
  const parts = features.map((f) => renderFeature(ctx.cw, f, view.facts, view.value)).filter((t) => t.trim().length > 0);
  return parts.length > 0 ? parts.join("\n") : "Done.";
}

/** The reply to an agent call, or undefined when the system prompt is not an agent prompt of this world. */
export function agentReply(ctx: ChatContext): string | undefined {
  const reading = readAgentRequest(ctx.cw, ctx.system, ctx.turns);
  const agent = reading.agent;
  if (!agent) return undefined;
  const taskText = reading.task;
  const problem = recogniseProblem(ctx.cw.templates, taskText);
  if (!problem) return genericReply(ctx, false);
  const upstream = readUpstream(
    ctx,
    reading.upstream.map((s) => s.body),
    problem,
  );
  const directives = detectDirectives(agent, reading.instruction);
  const p = successProbability(agent, directives, upstream.features, upstream.right, problem.template.template.difficulty);
  // The draw depends on the agent and the task, not on the prompt's wording: two prompts with the same
  // directives behave the same on an example, so comparisons measure the prompts, not the dice.
  const u = contextRng(ctx, "agent", agent.id, normalize(taskText)).next();
  const features = outputFeatures(ctx.cw, agent, directives);
  return renderAgentOutput(ctx, agent, features, problem, u < p);
}

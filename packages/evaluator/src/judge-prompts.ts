/**
 * The judge's messages for each lens (docs/llm-protocol.md §2). One pairwise question per call:
 * which of two responses is better under this lens. The layout is a contract with simlm, which reads
 * the lens from the system message and the responses from the user message's sections.
 *
 * The judge is told the task (the spec's description: what an input looks like, what a final answer
 * must be) and asked for its reason before its verdict: a model that commits to a winner first
 * rationalises it, one that reasons first decides from the reasoning.
 */
import { type ChatMessage, type Lens, type TaskDescription, renderTaskDescription } from "@maspo/core";

export interface JudgeQuestion {
  lens: Lens;
  /** What the run's task is (the spec's description); omitted when unknown. */
  taskDescription?: TaskDescription;
  /** The prompt text of the agent whose outputs are compared; not shown for the global lens. */
  roleInstruction?: string;
  /** The example's task input. */
  task: string;
  /** What the agent saw besides the task (predecessor outputs, agent-call layout); omitted when empty. */
  context?: string;
  responseA: string;
  responseB: string;
}

const LENS_CRITERION: Record<Lens, string> = {
  local:
    "You judge Local Validity: does the response fulfil the agent's role instruction, and does it make a correct final answer more likely?",
  lookahead:
    "You judge Lookahead Potential: both responses come from the same next agent in the pipeline, each fed a different upstream output. Decide which response shows that its input better set up / let the next agent succeed at its role and move the task toward a correct final answer.",
  global:
    "You judge Global Alignment: both responses are final answers of the whole multi-agent system to the task. Decide which final answer to the task is better / more correct.",
};

/** Reason first: the verdict is written after, and from, the reasoning. */
export const VERDICT_FORMAT = 'Answer with JSON, the reason first: {"reason": "<one sentence>", "winner": "A" | "B" | "tie"}';

export function judgeSystemMessage(lens: Lens): string {
  return [
    "You are an impartial judge comparing two responses in a multi-agent LLM system.",
    LENS_CRITERION[lens],
    "Ignore the order in which the responses are shown and their length; judge substance only.",
    "State your reason before your verdict.",
    VERDICT_FORMAT,
  ].join("\n");
}

export function buildJudgeMessages(q: JudgeQuestion): ChatMessage[] {
  const sections: string[] = [];
  if (q.taskDescription !== undefined) sections.push(renderTaskDescription(q.taskDescription));
  if (q.lens !== "global" && q.roleInstruction !== undefined) {
    sections.push(`## Role instruction\n${q.roleInstruction.trim()}`);
  }
  sections.push(`## Task\n${q.task.trim()}`);
  if (q.context !== undefined && q.context.trim().length > 0) sections.push(`## Context\n${q.context.trim()}`);
  sections.push(`## Response A\n${q.responseA.trim()}`);
  sections.push(`## Response B\n${q.responseB.trim()}`);
  sections.push(VERDICT_FORMAT);
  return [
    { role: "system", content: judgeSystemMessage(q.lens) },
    { role: "user", content: sections.join("\n\n") },
  ];
}

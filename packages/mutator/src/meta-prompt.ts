/**
 * The optimizer's meta-prompt (docs/llm-protocol.md §3), built from real execution traces — what the
 * agent saw, what it said, and what came of it downstream — and from hard negatives out of the
 * misalignment buffer. Besides the evidence, a real model is told what it needs to act on it: the
 * task (the spec's description), the agent's successors and what their prompts ask for, the correct
 * answer of a failing trace whose example has a label, and the length budget of the new prompt.
 * Size is bounded: at most `maxTraces` traces and `maxHardNegatives` distinct cases (a case repeating
 * another's input and output is shown once), each field cut to `excerptChars`. The `noTraces`
 * ablation (benchmarking only) leaves traces and hard negatives out, and the result says so.
 *
 * Field values that span lines continue on lines indented by four spaces, so an output's own
 * markdown cannot open a new section of the meta-prompt.
 */
import {
  type AgentGraph,
  type ChatMessage,
  type MisalignmentCase,
  type MutationOperator,
  type TaskDescription,
  excerpt,
  normalizePrompt,
  renderTaskDescription,
  splitAgentContext,
  successorsOf,
} from "@maspo/core";
import type { Trace } from "@maspo/core";
import { OPERATORS, type ShownEvidence } from "./operators.js";
import { type TraceOutcome, successorStepsOf, traceOutcome } from "./trace-outcome.js";

export interface MetaPromptLimits {
  maxTraces: number;
  maxHardNegatives: number;
  /** Bound on each field (input, context, output, downstream), in characters. */
  excerptChars: number;
  /** Bound on each successor's prompt as shown, in characters. */
  successorPromptChars: number;
}

/** The paper's optimizer saw 5 traces; 3 misalignment cases per agent per step. */
export const DEFAULT_META_PROMPT_LIMITS: MetaPromptLimits = Object.freeze({
  maxTraces: 5,
  maxHardNegatives: 3,
  excerptChars: 600,
  successorPromptChars: 1200,
});

/**
 * The longest new prompt accepted, in characters, unless the request sets one: about 1,000 tokens,
 * room for a role, instructions, constraints and an example or two. A parent already longer sets its
 * own length as the budget (an over-long prompt may be rewritten, never grown).
 */
export const DEFAULT_PROMPT_BUDGET_CHARS = 4000;

/** The request's budget, or the default (at least the parent's own length). */
export function promptBudgetOf(parent: string, requested?: number): number {
  return requested ?? Math.max(DEFAULT_PROMPT_BUDGET_CHARS, parent.trim().length);
}

/** A one-hop successor of the agent: who receives its output, and what its prompt asks for. */
export interface SuccessorBrief {
  agentId: string;
  role: string;
  /** The successor's current prompt (from the traces); omitted when no trace shows it. */
  prompt?: string;
}

/**
 * The agent's one-hop successors in the graph, each with the prompt it ran under in the last trace
 * that shows its step (the traces are of the current graph, so that is its current prompt).
 */
export function successorBriefsOf(graph: AgentGraph, agentId: string, traces: readonly Trace[]): SuccessorBrief[] {
  return successorsOf(graph, agentId).map((id) => {
    const role = graph.agents.find((a) => a.id === id)?.role ?? id;
    const prompt = traces.findLast((t) => t.steps[id] !== undefined)?.steps[id]?.prompt;
    return { agentId: id, role, ...(prompt !== undefined ? { prompt } : {}) };
  });
}

export interface MetaPromptInput {
  agentId: string;
  role: string;
  /** The parent prompt text being improved. */
  parent: string;
  operator: MutationOperator;
  /** Traces of the graph that include this agent's step; the most relevant are shown. */
  traces: readonly Trace[];
  hardNegatives: readonly MisalignmentCase[];
  noTraces?: boolean;
  limits?: Partial<MetaPromptLimits>;
  /** A final score at or above it is a correct final answer (default 1). */
  passScore?: number;
  /** What the run's task is (the spec's description); the section is left out when unknown. */
  task?: TaskDescription;
  /** The agent's one-hop successors; the section is left out when unknown. */
  successors?: readonly SuccessorBrief[];
  /** The agent's output is the system's final answer. */
  isFinal?: boolean;
  /** The longest new prompt accepted, in characters (default: `promptBudgetOf(parent)`). */
  promptBudgetChars?: number;
}

export interface MetaPrompt {
  messages: ChatMessage[];
  /** Example ids of the traces shown, in the order shown. */
  traceIds: string[];
  /** Ids of the hard negatives shown, in the order shown. */
  hardNegativeIds: string[];
  noTraces: boolean;
  /** The length budget stated in the meta-prompt, in characters: a longer proposal is not accepted. */
  promptBudgetChars: number;
}

export const PROPOSAL_FORMAT = 'Answer with JSON: {"analysis": "...", "modification": "...", "prompt": "<the complete new prompt>"}';

export const OPTIMIZER_SYSTEM_MESSAGE = [
  "You are a prompt engineer improving one agent's prompt in a multi-agent LLM system.",
  "The agents run as a graph: each sees the task and its predecessors' outputs, and its output feeds its successors, which need what their prompts ask for. A prompt is better only if the whole system's final answers get better, not just this agent's output.",
  "Keep the agent's role and its input format. Ground every change in the evidence you are shown (execution traces, hard negatives, correct answers): find what led to failures downstream and fix that. The prompt must work for every input of the task: never copy one example's answer into it.",
  "Apply the requested operator, stay within the length budget, and return the complete new prompt.",
].join("\n");

const RANK: Record<"failures-first" | "successes-first", Record<TraceOutcome["kind"], number>> = {
  "failures-first": { failure: 0, unknown: 1, success: 2 },
  "successes-first": { success: 0, unknown: 1, failure: 2 },
};

export function buildMetaPrompt(input: MetaPromptInput): MetaPrompt {
  const limits = { ...DEFAULT_META_PROMPT_LIMITS, ...input.limits };
  const operator = OPERATORS[input.operator];
  const noTraces = input.noTraces === true;
  const passScore = input.passScore ?? 1;
  const budget = input.promptBudgetChars ?? promptBudgetOf(input.parent);

  const ranked = noTraces
    ? []
    : input.traces
        .filter((t) => t.steps[input.agentId] !== undefined)
        .map((trace, order) => ({ trace, order, outcome: traceOutcome(trace, input.agentId, passScore) }))
        .sort(
          (a, b) => RANK[operator.tracePreference][a.outcome.kind] - RANK[operator.tracePreference][b.outcome.kind] || a.order - b.order,
        )
        .slice(0, Math.max(0, limits.maxTraces));
  const negatives = noTraces ? [] : distinctCases(input.hardNegatives).slice(0, Math.max(0, limits.maxHardNegatives));
  const shown: ShownEvidence = {
    failingTraces: ranked.filter((r) => r.outcome.kind === "failure").length,
    successfulTraces: ranked.filter((r) => r.outcome.kind === "success").length,
    otherTraces: ranked.filter((r) => r.outcome.kind === "unknown").length,
    hardNegatives: negatives.length,
  };

  const sections = [
    ...(input.task ? [renderTaskDescription(input.task)] : []),
    `## Agent\n${input.agentId} — ${input.role}`,
    ...(input.successors ? [successorsSection(input.successors, input.isFinal === true, limits.successorPromptChars)] : []),
    `## Current prompt\n<<<\n${input.parent.trim()}\n>>>`,
    `## Operator\n${operator.label}\n${operator.instruction(shown)}`,
  ];
  if (ranked.length > 0) {
    sections.push(
      [
        "## Execution traces",
        ...ranked.map((r, i) => traceBlock(i + 1, r.trace, r.outcome, input.agentId, limits.excerptChars, passScore)),
      ].join("\n"),
    );
  }
  if (negatives.length > 0) {
    sections.push(
      [
        "## Hard negatives (cases that looked good locally but failed downstream)",
        ...negatives.map((c, i) => hardNegativeBlock(i + 1, c, limits.excerptChars)),
      ].join("\n"),
    );
  }
  sections.push(
    `## Length budget\nThe new prompt must be at most ${budget} characters (the current prompt has ${input.parent.trim().length}); a longer one is not accepted.`,
  );
  sections.push(PROPOSAL_FORMAT);
  return {
    messages: [
      { role: "system", content: OPTIMIZER_SYSTEM_MESSAGE },
      { role: "user", content: sections.join("\n\n") },
    ],
    traceIds: ranked.map((r) => r.trace.exampleId),
    hardNegativeIds: negatives.map((c) => c.id),
    noTraces,
    promptBudgetChars: budget,
  };
}

/**
 * Cases in order, each input-and-output shown once: the buffer keys cases by prompt version, example
 * and lost lens, so one output that failed both downstream lenses, or under two prompts that produce
 * it alike, is two cases with one lesson.
 */
function distinctCases(cases: readonly MisalignmentCase[]): MisalignmentCase[] {
  const seen = new Set<string>();
  return cases.filter((c) => {
    const key = `${normalizePrompt(c.traceExcerpt.input)}\u0000${normalizePrompt(c.traceExcerpt.output)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function successorsSection(successors: readonly SuccessorBrief[], isFinal: boolean, maxChars: number): string {
  if (successors.length === 0) {
    return `## Successors\n${isFinal ? "None: this agent's output is the system's final answer." : "None: no agent receives this agent's output."}`;
  }
  return [
    "## Successors (the agents that receive this agent's output)",
    ...successors.map((s) =>
      s.prompt === undefined
        ? `- ${s.agentId} — ${s.role}`
        : field(`- ${s.agentId} — ${s.role}; its prompt asks`, excerpt(s.prompt, maxChars)),
    ),
    ...(isFinal ? ["This agent's output is also the system's final answer."] : []),
  ].join("\n");
}

/** `Label: value`, later lines of the value indented so they cannot read as headings or labels of their own. */
function field(label: string, value: string): string {
  const [first = "", ...rest] = value.trim().split("\n");
  return [`${label}: ${first}`, ...rest.map((line) => `    ${line}`)].join("\n");
}

function traceBlock(n: number, trace: Trace, outcome: TraceOutcome, agentId: string, maxChars: number, passScore: number): string {
  const step = trace.steps[agentId];
  if (!step) return "";
  const parts = splitAgentContext(step.context);
  const context =
    parts.upstream.length === 0
      ? "(none: the agent sees only the task)"
      : parts.upstream.map((u) => `from ${u.agentId}: ${excerpt(u.output, maxChars)}`).join("\n");
  const finalState = trace.finalScore === undefined ? "not scored" : trace.finalScore >= passScore ? "correct" : "wrong";
  const downstream =
    trace.finalAgent === agentId
      ? `this output is the system's final answer (${finalState})`
      : [
          ...successorStepsOf(trace, agentId).map((s) => `${s.agentId}: ${excerpt(s.output, maxChars)}`),
          `final answer: ${excerpt(trace.finalOutput, maxChars)} (${finalState})`,
        ].join("\n");
  const heading =
    outcome.kind === "success"
      ? "outcome: success"
      : outcome.kind === "failure"
        ? `outcome: failure — ${outcome.description}`
        : `outcome: unknown — ${outcome.description}`;
  // What the answer should have been, for a failure whose example has a label: the optimizer can tell
  // a wrong answer from an unreadable one, and see what was needed.
  const correct = outcome.kind === "failure" && trace.label !== undefined ? [field("Correct answer", excerpt(trace.label, maxChars))] : [];
  return [
    `### Trace ${n} (${heading})`,
    field("Input", excerpt(parts.task, maxChars)),
    field("Context", context),
    field("Output", excerpt(step.output, maxChars)),
    field("Downstream", downstream),
    ...correct,
  ].join("\n");
}

function hardNegativeBlock(n: number, c: MisalignmentCase, maxChars: number): string {
  return [
    `### Case ${n} (category: ${c.category})`,
    field("Input", excerpt(c.traceExcerpt.input, maxChars)),
    field("Output", excerpt(c.traceExcerpt.output, maxChars)),
    field("Downstream", excerpt(c.traceExcerpt.downstream, maxChars)),
    field("Failure caused", excerpt(c.failureCaused, maxChars)),
  ].join("\n");
}

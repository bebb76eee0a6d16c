/**
 * The optimizer's meta-prompt (docs/llm-protocol.md §3), built from real execution traces — what the
 * agent saw, what it said, and what came of it downstream — and from hard negatives out of the
 * misalignment buffer. Size is bounded: at most `maxTraces` traces and `maxHardNegatives` cases, each
 * field cut to `excerptChars`. The `noTraces` ablation (benchmarking only) leaves both sections out,
 * and the result says so.
 *
 * Field values that span lines continue on lines indented by four spaces, so an output's own
 * markdown cannot open a new section of the meta-prompt.
 */
import { type ChatMessage, type MisalignmentCase, type MutationOperator, excerpt, splitAgentContext } from "@maspo/core";
import type { Trace } from "@maspo/core";
import { OPERATORS } from "./operators.js";
import { type TraceOutcome, successorStepsOf, traceOutcome } from "./trace-outcome.js";

export interface MetaPromptLimits {
  maxTraces: number;
  maxHardNegatives: number;
  /** Bound on each field (input, context, output, downstream), in characters. */
  excerptChars: number;
}

/** The paper's optimizer saw 5 traces; 3 misalignment cases per agent per step. */
export const DEFAULT_META_PROMPT_LIMITS: MetaPromptLimits = Object.freeze({ maxTraces: 5, maxHardNegatives: 3, excerptChars: 600 });

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
}

export interface MetaPrompt {
  messages: ChatMessage[];
  /** Example ids of the traces shown, in the order shown. */
  traceIds: string[];
  /** Ids of the hard negatives shown, in the order shown. */
  hardNegativeIds: string[];
  noTraces: boolean;
}

export const PROPOSAL_FORMAT = 'Answer with JSON: {"analysis": "...", "modification": "...", "prompt": "<the complete new prompt>"}';

export const OPTIMIZER_SYSTEM_MESSAGE = [
  "You are a prompt engineer improving one agent's prompt in a multi-agent LLM system.",
  "The agents run as a graph: each sees the task and its predecessors' outputs, and its output feeds its successors. A prompt is better only if the whole system's final answers get better, not just this agent's output.",
  "Keep the agent's role and its input format. Ground every change in the execution traces and hard negatives you are shown: find what led to failures downstream and fix that.",
  "Apply the requested operator, and return the complete new prompt.",
].join("\n");

const RANK: Record<"failures-first" | "successes-first", Record<TraceOutcome["kind"], number>> = {
  "failures-first": { failure: 0, unknown: 1, success: 2 },
  "successes-first": { success: 0, unknown: 1, failure: 2 },
};

export function buildMetaPrompt(input: MetaPromptInput): MetaPrompt {
  const limits = { ...DEFAULT_META_PROMPT_LIMITS, ...input.limits };
  const operator = OPERATORS[input.operator];
  const noTraces = input.noTraces === true;
  const sections = [
    `## Agent\n${input.agentId} — ${input.role}`,
    `## Current prompt\n<<<\n${input.parent.trim()}\n>>>`,
    `## Operator\n${operator.label}\n${operator.instruction}`,
  ];

  let traceIds: string[] = [];
  let hardNegativeIds: string[] = [];
  if (!noTraces) {
    const passScore = input.passScore ?? 1;
    const ranked = input.traces
      .filter((t) => t.steps[input.agentId] !== undefined)
      .map((trace, order) => ({ trace, order, outcome: traceOutcome(trace, input.agentId, passScore) }))
      .sort((a, b) => RANK[operator.tracePreference][a.outcome.kind] - RANK[operator.tracePreference][b.outcome.kind] || a.order - b.order)
      .slice(0, Math.max(0, limits.maxTraces));
    if (ranked.length > 0) {
      sections.push(
        [
          "## Execution traces",
          ...ranked.map((r, i) => traceBlock(i + 1, r.trace, r.outcome, input.agentId, limits.excerptChars, passScore)),
        ].join("\n"),
      );
    }
    traceIds = ranked.map((r) => r.trace.exampleId);

    const negatives = input.hardNegatives.slice(0, Math.max(0, limits.maxHardNegatives));
    if (negatives.length > 0) {
      sections.push(
        [
          "## Hard negatives (cases that looked good locally but failed downstream)",
          ...negatives.map((c, i) => hardNegativeBlock(i + 1, c, limits.excerptChars)),
        ].join("\n"),
      );
    }
    hardNegativeIds = negatives.map((c) => c.id);
  }
  sections.push(PROPOSAL_FORMAT);
  return {
    messages: [
      { role: "system", content: OPTIMIZER_SYSTEM_MESSAGE },
      { role: "user", content: sections.join("\n\n") },
    ],
    traceIds,
    hardNegativeIds,
    noTraces,
  };
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
  return [
    `### Trace ${n} (${heading})`,
    field("Input", excerpt(parts.task, maxChars)),
    field("Context", context),
    field("Output", excerpt(step.output, maxChars)),
    field("Downstream", downstream),
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

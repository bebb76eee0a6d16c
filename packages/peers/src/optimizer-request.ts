/**
 * A peer's request to the optimizer model, in the layout simlm's optimizer reads (the mutator's
 * meta-prompt layout, docs/llm-protocol.md §3): the agent named, its current prompt in a `<<< >>>`
 * block, the evidence as records of `Input:` / `Context:` / `Output:` / `Outcome:` fields (multi-line
 * values indented, so an output's own markdown opens no section), and a JSON answer. Each peer
 * decides what evidence goes in — GEPA's reflective dataset, MIPRO's examples of the initial system,
 * SPO's unlabelled outputs — and says in its own words what it wants; only the layout is shared, so
 * one simulated LLM serves every optimizer.
 *
 * Gaps to simlm as it is (the peers issue, item 3), bridged here rather than in simlm: simlm's
 * optimizer is recognised by wording about improving a prompt (GEPA's "write a new instruction" is
 * not), reads the prompt only from a `<<< >>>` block or a "Current prompt" section, and counts a
 * record as failing only when its outcome says so in words (GEPA's "got a score of 0" is a number),
 * so each outcome line starts with "success" or "failure".
 */
import { type ChatMessage, type LlmCaller, excerpt, fieldOf, jsonValuesIn, splitAgentContext, type AgentStep } from "@maspo/core";

export interface EvidenceRecord {
  /** The task input. */
  input: string;
  /** What the agent saw besides the task: its predecessors' outputs. */
  context: string;
  output: string;
  /** Starts with "success", "failure" or "unknown"; then the algorithm's own feedback text. */
  outcome: string;
  /** What came of the output downstream, when the algorithm shows it. */
  downstream?: string;
}

export interface OptimizerRequestInput {
  agentId: string;
  role: string;
  current: string;
  /** The algorithm's framing, one line for the system message. */
  system: string;
  /** What the algorithm asks for, in its own words. */
  ask: string;
  /** Heading of the evidence section ("Examples ...", "Traces ..."). */
  evidenceHeading: string;
  records: readonly EvidenceRecord[];
  /** Bound on each field, in characters. */
  maxChars?: number;
}

const ANSWER_FORMAT = 'Answer with JSON: {"analysis": "...", "modification": "...", "prompt": "<the complete new prompt>"}';

/** `Label: value`, later lines of the value indented so they read as the same field. */
function field(label: string, value: string): string {
  const [first = "", ...rest] = value.trim().split("\n");
  return [`${label}: ${first}`, ...rest.map((line) => `    ${line}`)].join("\n");
}

export function optimizerMessages(input: OptimizerRequestInput): ChatMessage[] {
  const max = input.maxChars ?? 600;
  const records = input.records.map((r, i) =>
    [
      `### Example ${i + 1}`,
      field("Input", excerpt(r.input, max)),
      field("Context", excerpt(r.context, max)),
      field("Output", excerpt(r.output, max)),
      ...(r.downstream !== undefined ? [field("Downstream", excerpt(r.downstream, max))] : []),
      field("Outcome", r.outcome),
    ].join("\n"),
  );
  const user = [
    `## Agent\n${input.agentId} — ${input.role}`,
    `## Current prompt\n<<<\n${input.current.trim()}\n>>>`,
    `## What to do\n${input.ask}`,
    ...(records.length > 0 ? [`## ${input.evidenceHeading}\n${records.join("\n")}`] : []),
    `## Answer format\n${ANSWER_FORMAT}`,
  ].join("\n\n");
  return [
    { role: "system", content: `You are a prompt engineer improving the prompt of one agent in a multi-agent LLM system. ${input.system}` },
    { role: "user", content: user },
  ];
}

/** An agent's step as a record's input, context and output. */
export function stepRecord(step: AgentStep, maxChars = 600): Pick<EvidenceRecord, "input" | "context" | "output"> {
  const parts = splitAgentContext(step.context);
  return {
    input: parts.task,
    context:
      parts.upstream.length === 0
        ? "(none: the agent sees only the task)"
        : parts.upstream.map((u) => `from ${u.agentId}: ${excerpt(u.output, maxChars)}`).join("\n"),
    output: step.output,
  };
}

/** The new prompt in an optimizer's answer, or undefined when none can be read. */
export function proposedPrompt(answer: string): string | undefined {
  for (const value of jsonValuesIn(answer)) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) continue;
    const prompt = fieldOf(value as Record<string, unknown>, "prompt", "new_prompt", "instruction", "new_instruction");
    if (typeof prompt === "string" && prompt.trim().length > 0) return prompt.trim();
  }
  return undefined;
}

export interface AskOptimizerInput {
  llm: LlmCaller;
  optimizer: { model: string; temperature: number };
  messages: ChatMessage[];
  /** Derived per proposal, so each is a fresh sample (as maspo's mutator derives one per child). */
  seed: number;
}

/** One optimizer call; the proposed prompt, or undefined when the answer is unreadable (the proposal is lost, as in GEPA). */
export async function askOptimizer(input: AskOptimizerInput): Promise<string | undefined> {
  const result = await input.llm.complete({
    endpointId: input.optimizer.model,
    role: "optimizer",
    messages: input.messages,
    temperature: input.optimizer.temperature,
    seed: input.seed,
    json: true,
  });
  return proposedPrompt(result.content);
}

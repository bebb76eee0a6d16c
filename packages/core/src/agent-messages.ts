/**
 * How an agent's prompt and inputs become chat messages. This layout is a contract with simlm
 * (docs/llm-protocol.md): simlm reads the task and the upstream outputs from this text alone.
 */

/** The parts of an initial prompt as a spec states them. */
export interface PromptParts {
  role: string;
  instructions: string;
  outputFormat?: string | undefined;
  constraints?: readonly string[] | undefined;
}

/** Render spec prompt parts to the single text that is the agent's system prompt. */
export function renderAgentPrompt(parts: PromptParts): string {
  const blocks = [`You are the ${parts.role.trim()}.`, parts.instructions.trim()];
  if (parts.outputFormat?.trim()) blocks.push(`Output format: ${parts.outputFormat.trim()}`);
  const constraints = (parts.constraints ?? []).map((c) => c.trim()).filter((c) => c.length > 0);
  if (constraints.length > 0) blocks.push(`Constraints:\n${constraints.map((c) => `- ${c}`).join("\n")}`);
  return blocks.join("\n\n");
}

export interface UpstreamOutput {
  agentId: string;
  output: string;
}

/** The user message of an agent call: the task, then each declared predecessor's output in spec order. */
export function buildAgentUserMessage(taskInput: string, upstream: readonly UpstreamOutput[]): string {
  const sections = [`## Task\n${taskInput.trim()}`];
  for (const u of upstream) sections.push(`## Output of ${u.agentId}\n${u.output.trim()}`);
  return sections.join("\n\n");
}

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export function buildAgentMessages(promptText: string, taskInput: string, upstream: readonly UpstreamOutput[]): ChatMessage[] {
  return [
    { role: "system", content: promptText },
    { role: "user", content: buildAgentUserMessage(taskInput, upstream) },
  ];
}

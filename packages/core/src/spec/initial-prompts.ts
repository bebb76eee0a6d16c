/**
 * The text each agent starts from: a prompt given as text is used verbatim, one given in parts is
 * rendered with the layout simlm and the judge expect (docs/llm-protocol.md).
 */
import { renderAgentPrompt } from "../agent-messages.js";
import { MaspoError } from "../errors.js";
import type { PromptSpec, RunSpec } from "./schema.js";

export function promptText(prompt: PromptSpec): string {
  return typeof prompt === "string" ? prompt : renderAgentPrompt(prompt);
}

/** The initial prompt text of every agent, by agent id, in graph order. */
export function initialPromptTexts(spec: RunSpec): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const agent of spec.graph.agents) {
    const prompt = spec.prompts[agent.id];
    if (prompt === undefined) {
      throw new MaspoError(
        "E_SPEC_UNVALIDATED",
        `agent "${agent.id}" has no prompt: validate the spec (validateSpec/loadSpecFile) before using it`,
      );
    }
    texts[agent.id] = promptText(prompt);
  }
  return texts;
}

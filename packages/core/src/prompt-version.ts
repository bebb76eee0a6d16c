/**
 * A prompt's version: a short content hash of its text. Beams, lineage, misalignment cases,
 * checkpoints and reports name prompts by it, so two processes that hold the same text agree on its
 * name without coordination.
 */
import { createHash } from "node:crypto";

export function promptVersion(promptText: string): string {
  return createHash("sha256").update(promptText, "utf8").digest("hex").slice(0, 12);
}

/** A prompt's identity for de-duplication: case and whitespace do not make a new prompt. */
export function normalizePrompt(prompt: string): string {
  return prompt.trim().replace(/\s+/g, " ").toLowerCase();
}

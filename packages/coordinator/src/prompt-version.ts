/**
 * A prompt's version: a short content hash. Beams, lineage, misalignment cases and checkpoints refer
 * to prompts by it, so the same text is the same version in every process and every run.
 */
import { createHash } from "node:crypto";

export function promptVersion(promptText: string): string {
  return createHash("sha256").update(promptText).digest("hex").slice(0, 12);
}

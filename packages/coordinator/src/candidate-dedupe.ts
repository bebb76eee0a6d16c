/**
 * New candidates that only restate a prompt already in the beam (or an earlier proposal of the same
 * step) are dropped before joint evaluation (workflow step 4c): scoring them would spend judge calls
 * on a tie and let a copy crowd a real alternative out of the top K. Prompts are compared after
 * normalising case and whitespace; an empty proposal is never a candidate.
 */
import { normalizePrompt } from "@maspo/core";

/** The prompts seen so far in a step; `admit` is true for a prompt that is new, and remembers it. */
export class SeenPrompts {
  private readonly seen: Set<string>;

  constructor(existing: readonly string[]) {
    this.seen = new Set(existing.map(normalizePrompt));
  }

  admit(prompt: string): boolean {
    const key = normalizePrompt(prompt);
    if (key.length === 0 || this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}

/** The items whose prompt is new: not empty, not one of `existing`, not an earlier item's; in their order. */
export function dedupe<T>(items: readonly T[], existing: readonly string[], promptOf: (item: T) => string): T[] {
  const seen = new SeenPrompts(existing);
  return items.filter((item) => seen.admit(promptOf(item)));
}

/**
 * New candidates that only restate a prompt already in the beam (or an earlier proposal of the same
 * step) are dropped before joint evaluation (workflow step 4c): scoring them would spend judge calls
 * on a tie and let a copy crowd a real alternative out of the top K. Prompts are compared after
 * normalising case and whitespace; an empty proposal is never a candidate.
 */
import { normalizePrompt } from "@maspo/core";

/** The items whose prompt is new: not empty, not one of `existing`, not an earlier item's; in their order. */
export function dedupe<T>(items: readonly T[], existing: readonly string[], promptOf: (item: T) => string): T[] {
  const seen = new Set(existing.map(normalizePrompt));
  const out: T[] = [];
  for (const item of items) {
    const key = normalizePrompt(promptOf(item));
    if (key.length === 0 || seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  return out;
}

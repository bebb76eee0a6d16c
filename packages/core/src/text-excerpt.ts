/**
 * Bounded excerpts of model text. Traces and outputs go into judge verdict reports, misalignment
 * cases and optimizer meta-prompts; an unbounded output would blow their size (and token cost).
 */

/** `text` trimmed and cut to at most `maxChars` characters, marking the cut so a reader knows text is missing. */
export function excerpt(text: string, maxChars: number): string {
  const t = text.trim();
  if (t.length <= maxChars) return t;
  const marker = " […]";
  return t.slice(0, Math.max(0, maxChars - marker.length)).trimEnd() + marker;
}

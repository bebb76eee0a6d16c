/**
 * Durations as a spec states them ("90s", "30m", "2h", "1h30m"): readable in a YAML file, exact
 * once parsed. Kept as text in the spec so a report can quote it as written.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** One or more `<integer><unit>` parts, largest unit first or not; units ms, s, m, h, d. */
export const DURATION_PATTERN = /^(\d+(ms|s|m|h|d))+$/;

/** Milliseconds in a duration string, or undefined when it is not one (or is zero). */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION_PATTERN.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    const amount = Number(match[1]);
    const unit = match[2] as keyof typeof UNIT_MS;
    total += amount * UNIT_MS[unit];
  }
  return total > 0 ? total : undefined;
}

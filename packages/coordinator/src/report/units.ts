/**
 * The report's one unit style for its renderings (report-schema.ts REPORT_UNITS): rates as
 * percentages with one decimal, deltas in points with one decimal, J scores (centred joint rewards)
 * in points too. report.md and report.html format every number through these.
 */

/** A rate (a fraction in [0, 1]) as "82.5%". */
export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** A delta (a difference of fractions) as "+49.0 pts". */
export const pts = (x: number): string => `${x >= 0 ? "+" : "-"}${Math.abs(x * 100).toFixed(1)} pts`;

/** A rate or "—" when there is none. */
export const pctOr = (x: number | null | undefined): string => (x === null || x === undefined ? "—" : pct(x));

/** A delta or "—" when there is none. */
export const ptsOr = (x: number | null | undefined): string => (x === null || x === undefined ? "—" : pts(x));

/** A relative change (a ratio) as "+146.3%", or "—". */
export const relative = (x: number | null): string => (x === null ? "—" : `${x >= 0 ? "+" : "-"}${Math.abs(x * 100).toFixed(1)}%`);

/** US dollars. */
export const usd = (x: number): string => `$${x.toFixed(4)}`;

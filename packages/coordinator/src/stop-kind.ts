/**
 * The kinds of reason a run stops for (stop-conditions.ts words each reason): what the run's metrics
 * label an end with, and what the report's recommendations must be consistent with.
 */
export const STOP_KINDS = ["deadline", "budget", "target", "patience", "all-rounds", "other"] as const;
export type StopKind = (typeof STOP_KINDS)[number];

/** The kind of a stop reason as stop-conditions.ts words it. */
export function stopKind(stopReason: string): StopKind {
  if (/deadline/.test(stopReason)) return "deadline";
  if (/budget/.test(stopReason)) return "budget";
  if (/target metric/.test(stopReason)) return "target";
  if (/no global improvement/.test(stopReason)) return "patience";
  if (/all rounds/.test(stopReason)) return "all-rounds";
  return "other";
}

/**
 * What a run tells whoever watches it: every step (with the state it checkpointed), every round end,
 * and free-form operator messages. The CLI draws a progress bar or JSON lines from it; a library
 * user passes their own, or `SILENT_PROGRESS`.
 */
import type { UsageTotals } from "@maspo/core";
import type { StepEvent } from "@maspo/coordinator";

export interface RunProgress {
  step(event: StepEvent, usage: UsageTotals): void;
  round(event: StepEvent, usage: UsageTotals): void;
  message(text: string): void;
  stop(): void;
}

export const SILENT_PROGRESS: RunProgress = { step: () => {}, round: () => {}, message: () => {}, stop: () => {} };

/**
 * Turns zod's issues into maspo `Issue`s (path, expected, found) at every boundary that is not a spec
 * file — bus messages, LLM requests, world files, checkpoints — with the spec's renderer
 * (spec/zod-issues.ts), so input errors read the same everywhere and a secret-looking field's value
 * is never echoed. These parses do not ask zod to report inputs, so what was found is read from the
 * input itself.
 */
import type { z } from "zod";
import type { Issue } from "./errors.js";
import { zodIssuesToIssues } from "./spec/zod-issues.js";

/** `unknownKeyHint`: what to say an unknown key should be (default "no such key"). */
export function issuesFromZod(error: z.ZodError, input: unknown, unknownKeyHint?: string): Issue[] {
  return zodIssuesToIssues(error.issues, [], { root: input, ...(unknownKeyHint !== undefined ? { unknownKey: unknownKeyHint } : {}) });
}

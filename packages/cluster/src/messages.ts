/**
 * The envelopes that travel on the work bus: a task for one worker role, and the result (or the
 * failure) it produced. Role payloads stay opaque here; each role package validates its own payload.
 * Envelopes are validated at every receipt (see codec.ts), so a worker never trusts the bus.
 */
import { z } from "zod";

import { RunIdSchema, TaskIdSchema, WorkerRoleSchema } from "@maspo/core";

export const TaskEnvelopeSchema = z.object({
  v: z.literal(1),
  runId: RunIdSchema,
  taskId: TaskIdSchema,
  role: WorkerRoleSchema,
  kind: z.string().min(1),
  payload: z.unknown(),
});
export type TaskEnvelope = z.infer<typeof TaskEnvelopeSchema>;

export const TaskErrorSchema = z.object({
  code: z.string().min(1),
  message: z.string(),
  /** True when the same task might succeed later (rate limit, timeout); the worker gave up anyway. */
  retryable: z.boolean(),
});
export type TaskError = z.infer<typeof TaskErrorSchema>;

const resultBase = {
  v: z.literal(1),
  runId: RunIdSchema,
  taskId: TaskIdSchema,
  role: WorkerRoleSchema,
};

export const ResultEnvelopeSchema = z.discriminatedUnion("ok", [
  z.object({ ...resultBase, ok: z.literal(true), payload: z.unknown() }),
  z.object({ ...resultBase, ok: z.literal(false), error: TaskErrorSchema }),
]);
export type ResultEnvelope = z.infer<typeof ResultEnvelopeSchema>;

/**
 * The envelopes that travel on the work bus: a task for one worker role, and the result (or the
 * failure) it produced. Role payloads stay opaque here; each role package validates its own payload.
 * Envelopes are validated at every receipt (see codec.ts), so a worker never trusts the bus.
 */
import { z } from "zod";

export const WorkerRoleSchema = z.enum(["executor", "evaluator", "mutator"]);
export type WorkerRole = z.infer<typeof WorkerRoleSchema>;
export const WORKER_ROLES: readonly WorkerRole[] = WorkerRoleSchema.options;

/** Run ids become subject tokens, stream and bucket names: letters, digits, `_` and `-` only. */
export const RunIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a run id of 1-64 letters, digits, '_' or '-'");

/**
 * Task ids are deterministic (the coordinator derives them from the task's identity), so the same
 * work always has the same id: that is what makes redelivery and resubmission harmless.
 */
export const TaskIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, "a task id of 1-200 letters, digits, '_', '.', ':' or '-'");

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

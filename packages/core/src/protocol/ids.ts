/**
 * The names the worker protocol is addressed by: the three worker roles, run ids and task ids.
 * They are plain data rules (no transport), so the coordinator, the adapters and the bus agree on
 * them without the coordinator depending on the bus.
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

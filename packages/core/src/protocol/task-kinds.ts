/**
 * The task protocol: the coordinator's worker requests as tasks on a work queue. Each kind
 * goes to one worker role, its payload and its result are validated by a zod schema on both sides of
 * the bus, and its task id is the hash of what it asks, so the same work always has the same id: a
 * resubmission, a redelivery or a resumed coordinator can never make it count twice.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { canonicalJson } from "../canonical-json.js";
import type { WorkerRole } from "./ids.js";
import { llmAccountingSnapshotSchema } from "./llm-usage.js";
import { ProbeReportSchema, ProbeRequestSchema } from "./endpoint-probe.js";
import { EvaluationShardSchema } from "./evaluation-shards.js";
import { TraceSchema } from "./trace.js";
import {
  CompareFinalsRequestSchema,
  EvaluateRequestSchema,
  EvaluationSchema,
  FinalComparisonSchema,
  MutateRequestSchema,
  ProposalsSchema,
  RunGraphRequestSchema,
} from "./worker-requests.js";

/** Each kind: the role that runs it, and the schemas of its request and its result value. */
export const TASK_KINDS = {
  runGraph: { role: "executor", request: RunGraphRequestSchema, value: TraceSchema },
  evaluate: { role: "evaluator", request: EvaluateRequestSchema, value: EvaluationSchema },
  // A few examples of one candidate's evaluation (evaluation-shards.ts): the coordinator folds them.
  evaluateShard: { role: "evaluator", request: EvaluateRequestSchema, value: EvaluationShardSchema },
  mutate: { role: "mutator", request: MutateRequestSchema, value: ProposalsSchema },
  // Label-free runs: the current graph's final answers judged against the baseline's.
  compareFinals: { role: "evaluator", request: CompareFinalsRequestSchema, value: FinalComparisonSchema },
  // Preflight, per role: each probes the endpoints it will call, with its own keys.
  probeServing: { role: "executor", request: ProbeRequestSchema, value: ProbeReportSchema },
  probeJudges: { role: "evaluator", request: ProbeRequestSchema, value: ProbeReportSchema },
  probeOptimizer: { role: "mutator", request: ProbeRequestSchema, value: ProbeReportSchema },
} as const satisfies Record<string, { role: WorkerRole; request: z.ZodType; value: z.ZodType }>;

export type TaskKind = keyof typeof TASK_KINDS;

/** The preflight kinds, one per role: each role probes the endpoints it calls. */
export const PROBE_KINDS = ["probeServing", "probeJudges", "probeOptimizer"] as const satisfies readonly TaskKind[];
export type ProbeKind = (typeof PROBE_KINDS)[number];
export const TaskKindSchema = z.enum(Object.keys(TASK_KINDS) as [TaskKind, ...TaskKind[]]);

/**
 * What a worker sends back for a task: the value, and the LLM use the task caused (network calls and
 * cache hits per endpoint, model and role), which the coordinator adds up once per task id.
 */
export const TaskOutputSchema = z.object({
  value: z.unknown(),
  usage: llmAccountingSnapshotSchema,
});
export type TaskOutput = z.infer<typeof TaskOutputSchema>;

/**
 * `<kind>.<sha256 of the canonical request>`, plus `.r<n>` for the n-th attempt after an error result
 * (a new id, since the first one's result is already in the log), and `.<salt>` for a retry series
 * of its own (a resumed coordinator does not take an earlier coordinator's failures as its own).
 * The run id is not part of it: the streams are per run already.
 */
export function taskIdFor(kind: TaskKind, request: unknown, attempt = 1, salt?: string): string {
  const digest = createHash("sha256").update(kind).update("\u0000").update(canonicalJson(request)).digest("hex").slice(0, 40);
  const series = salt === undefined ? `${kind}.${digest}` : `${kind}.${digest}.${salt}`;
  return attempt <= 1 ? series : `${series}.r${attempt}`;
}

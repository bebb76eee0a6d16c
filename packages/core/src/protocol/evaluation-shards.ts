/**
 * Evaluation shards (issue 11, "work fine enough to spread"): one candidate's joint evaluation split
 * into tasks of a few minibatch examples each, so a large minibatch spreads over many evaluator
 * replicas instead of queueing behind one. An example's evaluation depends on that example alone
 * (its base trace, the two prompts, the run seed), so a shard sends exactly the LLM requests the
 * whole evaluation would for its examples. A shard answers per example; the coordinator folds the
 * shards in minibatch order into the Evaluation one task would have given — the evaluator's own
 * evaluate task folds its single shard with the same function, so the two agree bit for bit.
 */
import { z } from "zod";
import { ValidationError } from "../errors.js";
import { MisalignmentCaseSchema } from "../misalignment-case.js";
import type { EvaluateRequest, Evaluation } from "./worker-requests.js";

/** One example's part of a joint evaluation: what the fold needs of it. */
export const ExampleScoreSchema = z.object({
  exampleId: z.string(),
  /** The example's weighted joint reward. */
  reward: z.number(),
  /** The candidate's local score, or null when the lens is not measured (global-only ablation). */
  local: z.number().nullable(),
  /** The mean over the agent's successors, or null when lookahead is not compared. */
  lookahead: z.number().nullable(),
  global: z.number(),
  /** The task metric of the candidate's final output, when the example is labelled. */
  finalScore: z.number().optional(),
  /** Did the global lens compare two different final answers here (see EvaluationSchema.finalsCompared)? */
  finalCompared: z.boolean(),
});
export type ExampleScore = z.infer<typeof ExampleScoreSchema>;

/** The answer of an evaluateShard task: its examples in minibatch order, their cases and malformed verdicts. */
export const EvaluationShardSchema = z.object({
  examples: z.array(ExampleScoreSchema).min(1),
  /** Misalignment cases, one per example at most, in minibatch order. */
  cases: z.array(MisalignmentCaseSchema),
  malformedVerdicts: z.int().min(0),
});
export type EvaluationShard = z.infer<typeof EvaluationShardSchema>;

/** Minibatch examples per evaluate task when the spec sets none (spec `concurrency.evaluationShardSize`). */
export const DEFAULT_EVALUATION_SHARD_SIZE = 2;

/**
 * The request split into consecutive shards of at most `shardSize` examples, each with its own base
 * traces; a single request (the same one) when the minibatch fits in one shard.
 */
export function shardEvaluateRequest(request: EvaluateRequest, shardSize: number): EvaluateRequest[] {
  if (!Number.isInteger(shardSize) || shardSize < 1) {
    throw new ValidationError("evaluation shards", [
      { path: "concurrency.evaluationShardSize", expected: "a whole number ≥ 1", found: String(shardSize) },
    ]);
  }
  if (request.minibatch.length <= shardSize) return [request];
  const shards: EvaluateRequest[] = [];
  for (let start = 0; start < request.minibatch.length; start += shardSize) {
    shards.push({
      ...request,
      minibatch: request.minibatch.slice(start, start + shardSize),
      baseTraces: request.baseTraces.slice(start, start + shardSize),
    });
  }
  return shards;
}

/**
 * The Evaluation of the whole minibatch from its shards, given in minibatch order: every mean is
 * taken over the examples in that order, exactly as one evaluation of the whole minibatch takes it.
 */
export function foldEvaluationShards(shards: readonly EvaluationShard[]): Evaluation {
  const examples = shards.flatMap((s) => s.examples);
  const local = examples.map((e) => e.local);
  const lookahead = examples.map((e) => e.lookahead);
  const finalScores = examples.flatMap((e) => (e.finalScore === undefined ? [] : [e.finalScore]));
  return {
    R: mean(examples.map((e) => e.reward)),
    lenses: {
      // A lens the ablation did not measure is reported as a tie, never as a win or a loss.
      local: local.every((s) => s === null) ? 0.5 : mean(local.map((s) => s ?? 0.5)),
      lookahead: lookahead.every((s) => s === null) ? null : mean(lookahead.map((s) => s ?? 0.5)),
      global: mean(examples.map((e) => e.global)),
    },
    finalMetric: finalScores.length === 0 ? null : mean(finalScores),
    finalsCompared: examples.some((e) => e.finalCompared),
    cases: shards.flatMap((s) => s.cases),
    malformedVerdicts: shards.reduce((n, s) => n + s.malformedVerdicts, 0),
  };
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

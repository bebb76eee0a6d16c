/**
 * Joint evaluation of one candidate prompt against a reference prompt of the same agent, on a shared
 * minibatch (shared/maspo.md "Scoring"). Upstream of the agent runs once (the base trace); the agent
 * and its descendants are re-run under each prompt, so both sides see identical upstream outputs.
 * Per example: Local Validity (the agent's outputs), Lookahead Potential (each one-hop successor's
 * outputs, averaged), Global Alignment (the final outputs: the task metric when it tells them apart,
 * the judge otherwise). Every judge question is asked in both orders.
 *
 * Global, when the example is labelled and both final outputs fail the task metric equally, is a tie
 * decided by the metric, not a judge call: the judge has no better view of the truth than the label,
 * so between two wrong answers it can only prefer surface (a confident sentence, or a non-answer that
 * states nothing checkable over a wrong number) — exactly the bias traps exploit, and one that let a
 * role-less prompt "win" globally in a graph whose final answers were all wrong. Two equally correct
 * final outputs that differ still go to the judge: which correct answer is better is its question.
 *
 * The local judge sees the REFERENCE prompt as the role instruction: one fixed yardstick for both
 * outputs, so a candidate cannot win by rewriting the standard it is judged against; what a
 * candidate legitimately changes beyond that is what lookahead and global measure.
 *
 * All independent work is in flight at once (the LLM client bounds concurrency); results are folded
 * in minibatch order, so they do not depend on completion order.
 */
import {
  type AgentGraph,
  type CallTally,
  EMPTY_TALLY,
  type Lens,
  type LlmCaller,
  MaspoError,
  addTallies,
  promptVersion,
  renderUpstream,
  splitAgentContext,
  successorsOf,
  tallyOf,
} from "@maspo/core";
import { type AgentStep, type Example, type FinalScorer, type TaskDescription, type Trace } from "@maspo/core";
import { executeGraph } from "@maspo/executor";
import { type EvaluationRequest, validateEvaluationRequest } from "./evaluation-request.js";
import type { JointWeights } from "@maspo/core";
import { type LensAblations, type MeasuredLenses, effectiveWeights, jointReward } from "./joint-reward.js";
import { answerContractScore } from "./compare-finals.js";
import { type OrderOutcome, comparePairwise, withoutPositionLabels } from "./pairwise.js";

export interface EvaluateCandidateInput extends EvaluationRequest {
  graph: AgentGraph;
  llm: LlmCaller;
  /** The task metric (as the executor takes it); when absent, the global lens is always judged. */
  scoreFinal?: FinalScorer;
  /** A label-free task's answer contract: an unlabelled final output without an answer loses without a judge call. */
  hasAnswer?: (finalOutput: string) => boolean;
}

/** How one lens came out on one example, from the candidate's side. */
export interface LensOutcome {
  lens: Lens;
  /** The candidate's score in [0, 1]: 1 win, 0.5 tie, 0 loss (averaged over judge orders). */
  score: number;
  /**
   * judge: pairwise judge, both orders; metric: the task metric decided (it told them apart, or both
   * fail it: a tie); identical: the two outputs are the same text; failure: one or both sides' step
   * failed (error, empty, refusal).
   */
  method: "judge" | "metric" | "identical" | "failure";
  /** The agent whose outputs were compared. */
  agentId: string;
  orders: OrderOutcome[];
  malformed: number;
  /** One line on why: the metric values, the failed step, or a judge reason against the loser. */
  note: string;
  /** Judge calls this outcome took. */
  tally: CallTally;
}

export interface LookaheadOutcome {
  /** Mean over the one-hop successors. */
  score: number;
  perSuccessor: LensOutcome[];
}

export interface ExampleEvaluation {
  exampleId: string;
  local: LensOutcome | null;
  lookahead: LookaheadOutcome | null;
  global: LensOutcome;
  /** This example's weighted reward. */
  reward: number;
  candidateTrace: Trace;
  referenceTrace: Trace;
}

export interface CandidateComparison {
  agentId: string;
  candidateVersion: string;
  referenceVersion: string;
  /** Per-lens mean candidate scores; null for a lens not evaluated (no successors, or an ablation). */
  scores: MeasuredLenses;
  /** The weights applied after moving lookahead to global where it does not apply, normalised. */
  weights: JointWeights;
  /** R(p′, p) in [0, 1]. */
  reward: number;
  /** J = R − 0.5: 0 means as good as the reference. */
  joint: number;
  examples: ExampleEvaluation[];
  /** Judge answers that stayed unreadable after retries, each counted as a tie. */
  malformedVerdicts: number;
  malformedReports: { exampleId: string; lens: Lens; agentId: string; candidateAs: "A" | "B"; problems: OrderOutcome["problems"] }[];
  calls: { serving: CallTally; judge: CallTally };
  ablations: LensAblations;
}

export class EvaluationError extends MaspoError<"E_EVAL_WEIGHTS" | "E_EVAL_TRACE"> {}

export async function evaluateCandidate(input: EvaluateCandidateInput): Promise<CandidateComparison> {
  const { graph, llm, scoreFinal, hasAnswer } = input;
  const { graph: _g, llm: _l, scoreFinal: _s, hasAnswer: _h, ...data } = input;
  const req = validateEvaluationRequest(graph, data);
  const agentId = req.agentId;
  const successors = successorsOf(graph, agentId);
  const ablations = req.ablations ?? {};
  const weights = effectiveWeights(req.weights, { hasSuccessors: successors.length > 0, ablations });
  if (!weights) {
    throw new EvaluationError(
      "E_EVAL_WEIGHTS",
      `evaluation of "${agentId}": no lens left with a positive weight (weights ${JSON.stringify(req.weights)}, ${successors.length} successors); give local or global a weight`,
    );
  }
  const wantLocal = !ablations.globalOnly;
  const wantLookahead = weights.lookahead > 0;
  const candidatePrompts = { ...req.prompts, [agentId]: req.candidate };
  const referencePrompts = { ...req.prompts, [agentId]: req.reference };
  const exec = (prompts: Record<string, string>, example: Example, base?: Trace) =>
    executeGraph({
      graph,
      prompts,
      example,
      llm,
      seed: req.seed,
      ...(scoreFinal ? { scoreFinal } : {}),
      ...(base ? { base, rerunFrom: agentId } : {}),
    });
  const judge = (lens: Lens, judgedAgent: string, example: Example, sides: Sides, roleInstruction?: string) =>
    compareLens({
      lens,
      agentId: judgedAgent,
      example,
      sides,
      ...(roleInstruction !== undefined ? { roleInstruction } : {}),
      llm,
      endpointId: req.judgeModels[lens],
      seed: req.seed,
      ...(req.judgeMaxAttempts !== undefined ? { maxAttempts: req.judgeMaxAttempts } : {}),
      ...(req.taskDescription !== undefined ? { taskDescription: req.taskDescription } : {}),
    });

  const perExample = await Promise.all(
    req.minibatch.map(async (example, i) => {
      const providedBase = req.baseTraces?.[i];
      const base = providedBase ?? (await exec(req.prompts, example));
      const baseServing = providedBase ? EMPTY_TALLY : servingTally(base);
      // The base trace already is the reference run when the reference is the agent's current best.
      const reuseBase = base.steps[agentId]?.prompt === req.reference;
      const [candidateTrace, referenceTrace] = await Promise.all([
        exec(candidatePrompts, example, base),
        reuseBase ? Promise.resolve(base) : exec(referencePrompts, example, base),
      ]);
      const sidesOf = (id: string): Sides => ({ candidate: stepOf(candidateTrace, id), reference: stepOf(referenceTrace, id) });
      const [local, perSuccessor, global] = await Promise.all([
        wantLocal ? judge("local", agentId, example, sidesOf(agentId), req.reference) : Promise.resolve(null),
        wantLookahead
          ? Promise.all(successors.map((s) => judge("lookahead", s, example, sidesOf(s), req.prompts[s])))
          : Promise.resolve(null),
        globalOutcome(example, candidateTrace, referenceTrace, (sides) => judge("global", graph.final, example, sides), hasAnswer),
      ]);
      const lookahead: LookaheadOutcome | null = perSuccessor ? { score: mean(perSuccessor.map((o) => o.score)), perSuccessor } : null;
      const scores: MeasuredLenses = { local: local?.score ?? null, lookahead: lookahead?.score ?? null, global: global.score };
      const evaluation: ExampleEvaluation = {
        exampleId: example.id,
        local,
        lookahead,
        global,
        reward: jointReward(scores, weights),
        candidateTrace,
        referenceTrace,
      };
      const serving = addTallies(baseServing, servingTally(candidateTrace), reuseBase ? EMPTY_TALLY : servingTally(referenceTrace));
      return { evaluation, serving };
    }),
  );

  const examples = perExample.map((e) => e.evaluation);
  const outcomes = examples.flatMap((e) => [...(e.local ? [e.local] : []), ...(e.lookahead?.perSuccessor ?? []), e.global]);
  const malformedReports = examples.flatMap((e) =>
    [...(e.local ? [e.local] : []), ...(e.lookahead?.perSuccessor ?? []), e.global].flatMap((o) =>
      o.orders
        .filter((ord) => ord.malformed)
        .map((ord) => ({ exampleId: e.exampleId, lens: o.lens, agentId: o.agentId, candidateAs: ord.candidateAs, problems: ord.problems })),
    ),
  );
  const scores: MeasuredLenses = {
    local: wantLocal ? mean(examples.map((e) => e.local?.score ?? 0.5)) : null,
    lookahead: wantLookahead ? mean(examples.map((e) => e.lookahead?.score ?? 0.5)) : null,
    global: mean(examples.map((e) => e.global.score)),
  };
  const reward = mean(examples.map((e) => e.reward));
  return {
    agentId,
    candidateVersion: promptVersion(req.candidate),
    referenceVersion: promptVersion(req.reference),
    scores,
    weights,
    reward,
    joint: reward - 0.5,
    examples,
    malformedVerdicts: outcomes.reduce((n, o) => n + o.malformed, 0),
    malformedReports,
    calls: {
      serving: addTallies(...perExample.map((e) => e.serving)),
      judge: addTallies(...outcomes.map((o) => o.tally)),
    },
    ablations,
  };
}

interface Sides {
  candidate: AgentStep;
  reference: AgentStep;
}

interface CompareLensInput {
  lens: Lens;
  agentId: string;
  example: Example;
  sides: Sides;
  roleInstruction?: string;
  llm: LlmCaller;
  endpointId: string;
  seed: number;
  maxAttempts?: number;
  taskDescription?: TaskDescription;
}

function stepOf(trace: Trace, agentId: string): AgentStep {
  const step = trace.steps[agentId];
  if (!step) throw new EvaluationError("E_EVAL_TRACE", `trace of example "${trace.exampleId}" has no step for agent "${agentId}"`);
  return step;
}

/** A failed step (error, empty, refusal) loses to a working one without asking the judge; two failures tie. */
function failureOutcome(sides: Sides): { score: number; note: string } | undefined {
  const candOk = sides.candidate.status === "ok";
  const refOk = sides.reference.status === "ok";
  if (candOk && refOk) return undefined;
  if (candOk) return { score: 1, note: `reference step ${sides.reference.status}` };
  if (refOk)
    return {
      score: 0,
      note: `candidate step ${sides.candidate.status}${sides.candidate.error ? `: ${sides.candidate.error.message}` : ""}`,
    };
  return { score: 0.5, note: `both steps failed (${sides.candidate.status} / ${sides.reference.status})` };
}

/**
 * The judge's context for an agent: its predecessors' outputs that both sides share (a predecessor
 * whose output differs between the sides is part of what is being compared, not common ground).
 */
function sharedContext(sides: Sides): string {
  const reference = new Map(splitAgentContext(sides.reference.context).upstream.map((u) => [u.agentId, u.output]));
  return renderUpstream(splitAgentContext(sides.candidate.context).upstream.filter((u) => reference.get(u.agentId) === u.output));
}

async function compareLens(input: CompareLensInput): Promise<LensOutcome> {
  const base = { lens: input.lens, agentId: input.agentId };
  const failed = failureOutcome(input.sides);
  if (failed) return { ...base, score: failed.score, method: "failure", orders: [], malformed: 0, note: failed.note, tally: EMPTY_TALLY };
  const context = input.lens === "global" ? "" : sharedContext(input.sides);
  const pair = await comparePairwise({
    llm: input.llm,
    endpointId: input.endpointId,
    seed: input.seed,
    question: {
      lens: input.lens,
      ...(input.taskDescription !== undefined ? { taskDescription: input.taskDescription } : {}),
      task: input.example.input,
      ...(context ? { context } : {}),
      ...(input.roleInstruction !== undefined ? { roleInstruction: input.roleInstruction } : {}),
    },
    candidate: input.sides.candidate.output,
    reference: input.sides.reference.output,
    ...(input.maxAttempts !== undefined ? { maxAttempts: input.maxAttempts } : {}),
  });
  return {
    ...base,
    score: pair.score,
    method: pair.method,
    orders: pair.orders,
    malformed: pair.malformed,
    note: pair.method === "identical" ? "identical outputs" : judgeNote(pair.orders, pair.score),
    tally: pair.tally,
  };
}

/**
 * The judge's reason from an order that went against the overall loser (or the first order on a
 * tie), its position labels replaced by who was shown there: the note outlives the judge call.
 */
function judgeNote(orders: readonly OrderOutcome[], score: number): string {
  const against =
    score < 0.5 ? orders.find((o) => o.candidateScore === 0) : score > 0.5 ? orders.find((o) => o.candidateScore === 1) : orders[0];
  const order = against ?? orders[0];
  return order ? withoutPositionLabels(order.reason, order.candidateAs) : "";
}

/** A task metric score at which a final answer is fully correct. */
const FULL_MARKS = 1;

async function globalOutcome(
  example: Example,
  candidateTrace: Trace,
  referenceTrace: Trace,
  judgeFinal: (sides: Sides) => Promise<LensOutcome>,
  hasAnswer?: (finalOutput: string) => boolean,
): Promise<LensOutcome> {
  const sides: Sides = {
    candidate: stepOf(candidateTrace, candidateTrace.finalAgent),
    reference: stepOf(referenceTrace, referenceTrace.finalAgent),
  };
  const c = candidateTrace.finalScore;
  const r = referenceTrace.finalScore;
  const base = { lens: "global" as const, agentId: candidateTrace.finalAgent, orders: [], malformed: 0, tally: EMPTY_TALLY };
  if (example.label === undefined && hasAnswer && sides.candidate.status === "ok" && sides.reference.status === "ok") {
    // No label, but the task states the form of an answer: a final output without one is no answer.
    const decided = answerContractScore(hasAnswer, sides.candidate.output, sides.reference.output);
    if (decided !== undefined) {
      return {
        ...base,
        score: decided,
        method: "metric",
        note: `answer contract: ${decided === 0.5 ? "neither final output states an answer" : `only the ${decided === 1 ? "candidate" : "reference"} states an answer`} in the required form`,
      };
    }
  }
  if (c === undefined || r === undefined || (c === r && c >= FULL_MARKS)) return judgeFinal(sides);
  if (c !== r) return { ...base, score: c > r ? 1 : 0, method: "metric", note: `task metric ${c} (candidate) vs ${r} (reference)` };
  // Both fail the metric: a final step that broke (error, empty, refusal) still loses to one that answered.
  const failed = failureOutcome(sides);
  if (failed && failed.score !== 0.5) return { ...base, score: failed.score, method: "failure", note: failed.note };
  return { ...base, score: 0.5, method: "metric", note: `both final answers fail the task metric (${c}): a tie` };
}

function servingTally(trace: Trace): CallTally {
  return addTallies(...trace.executed.map((id) => tallyOf(stepOf(trace, id))));
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

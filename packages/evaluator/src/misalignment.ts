/**
 * Misalignment cases: a prompt that wins (or an agent that succeeds) locally while its successors or
 * the system lose. They are the method's hard negatives: the coordinator keeps the strongest per agent
 * in its buffer, the mutator shows them to the optimizer, and the report counts them by category.
 *
 * A category is a short failure signature, `<lens>:<signature>`, stable across runs for the same
 * failure: the failed step's status (`lookahead:empty-output`), a wrong final answer by the task
 * metric (`global:wrong-final-answer`), or the first content words of the judge's reason against it.
 */
import { createHash } from "node:crypto";
import { type AgentGraph, type MisalignmentCase, excerpt, promptVersion, splitAgentContext, successorsOf } from "@maspo/core";
import type { AgentStep, Trace } from "@maspo/core";
import type { CandidateComparison, ExampleEvaluation, LensOutcome } from "./evaluate-candidate.js";

export interface MisalignmentThresholds {
  /** The candidate's local score at or above which it "wins locally". Default 0.75. */
  localWin?: number;
  /** The lookahead/global score at or below which it "loses". Default 0.25. */
  downstreamLoss?: number;
  /** Bound on each excerpt field, in characters. Default 400. */
  excerptChars?: number;
}

const DEFAULTS = { localWin: 0.75, downstreamLoss: 0.25, excerptChars: 400 };

/** The candidate's misalignment cases in one evaluation, one per example at most, in minibatch order. */
export function findMisalignments(evaluation: CandidateComparison, thresholds: MisalignmentThresholds = {}): MisalignmentCase[] {
  const t = { ...DEFAULTS, ...thresholds };
  return evaluation.examples.flatMap((e) => {
    const local = e.local?.score;
    if (local === undefined || local < t.localWin) return [];
    const lost = lostLens(e, t.downstreamLoss);
    if (!lost) return [];
    const step = e.candidateTrace.steps[evaluation.agentId];
    if (!step) return [];
    const downstreamStep = e.candidateTrace.steps[lost.outcome.agentId];
    const category = categoryOf(lost.lens, lost.outcome, downstreamStep);
    return [
      makeCase({
        agentId: evaluation.agentId,
        promptVersion: evaluation.candidateVersion,
        exampleId: e.exampleId,
        source: "evaluation",
        lostOn: lost.lens,
        step,
        downstream: downstreamStep?.output ?? e.candidateTrace.finalOutput,
        failureCaused: failureText(lost.lens, lost.outcome, downstreamStep),
        category,
        strength: clamp01(local - lost.score),
        excerptChars: t.excerptChars,
      }),
    ];
  });
}

/** The lost lens with the lower score (lookahead first on a tie): the more proximate failure. */
function lostLens(e: ExampleEvaluation, lossAt: number): { lens: "lookahead" | "global"; score: number; outcome: LensOutcome } | undefined {
  const look = e.lookahead;
  const worstSuccessor = look?.perSuccessor.reduce((a, b) => (b.score < a.score ? b : a));
  const candidates: { lens: "lookahead" | "global"; score: number; outcome: LensOutcome }[] = [];
  if (look && worstSuccessor && look.score <= lossAt) candidates.push({ lens: "lookahead", score: look.score, outcome: worstSuccessor });
  if (e.global.score <= lossAt) candidates.push({ lens: "global", score: e.global.score, outcome: e.global });
  return candidates.reduce<(typeof candidates)[number] | undefined>((a, b) => (a === undefined || b.score < a.score ? b : a), undefined);
}

function failureText(lens: "lookahead" | "global", outcome: LensOutcome, downstream: AgentStep | undefined): string {
  const who = lens === "lookahead" ? `successor ${outcome.agentId}` : "the system's final answer";
  switch (outcome.method) {
    case "failure":
      return `${who} failed (${downstream?.status ?? "failed"}${downstream?.error ? `: ${downstream.error.message}` : ""})`;
    case "metric":
      return `${who} was wrong by the task metric where the reference prompt's was right (${outcome.note})`;
    default:
      return `${who} was judged worse than under the reference prompt${outcome.note ? `: ${outcome.note}` : ""}`;
  }
}

// "candidate" and "reference" name the sides a judge's position labels are replaced by (pairwise.ts):
// the signature is what the judge said about substance, whichever side it was shown on.
const STOP_WORDS = new Set(
  "a an the and or but of to in on for with by from as at is are was were be been it its this that these those than then so which who whom response responses output outputs candidate reference b because while whereas more less better worse does do did not no has have had their there here into only also both".split(
    " ",
  ),
);

/** `<lens>:<signature>`; see the module comment. */
export function categoryOf(lens: "lookahead" | "global", outcome: LensOutcome, downstream: AgentStep | undefined): string {
  if (outcome.method === "failure") return `${lens}:${downstream?.status ?? "failed"}-output`;
  if (outcome.method === "metric") return `${lens}:wrong-final-answer`;
  return `${lens}:${reasonSignature(outcome.note)}`;
}

/** The first four content words of a judge reason, lower-cased; `judged-worse` when there are none. */
export function reasonSignature(reason: string): string {
  const words = reason
    .toLowerCase()
    .replace(/[^a-z\s-]/g, " ")
    .split(/[\s-]+/)
    .filter((w) => w.length > 1 && !STOP_WORDS.has(w));
  return words.length === 0 ? "judged-worse" : words.slice(0, 4).join("-");
}

export interface TraceMisalignmentInput {
  graph: AgentGraph;
  traces: readonly Trace[];
  /** Agents to inspect; default every agent but the final one. */
  agentIds?: readonly string[];
  /**
   * A local judgement per example and agent (exampleId → agentId → score in [0, 1]) when one exists;
   * without it an agent whose step is ok counts as locally successful, at half strength.
   */
  localScores?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** A final score below this is a system failure. Default 1 (anything short of fully correct). */
  passScore?: number;
  thresholds?: MisalignmentThresholds;
}

/** "Agent succeeds locally but the system fails" cases from plain labelled traces. */
export function findTraceMisalignments(input: TraceMisalignmentInput): MisalignmentCase[] {
  const t = { ...DEFAULTS, ...input.thresholds };
  const passScore = input.passScore ?? 1;
  const agentIds = input.agentIds ?? input.graph.agents.map((a) => a.id).filter((id) => id !== input.graph.final);
  return input.traces.flatMap((trace) => {
    if (trace.finalScore === undefined || trace.finalScore >= passScore) return [];
    const systemLoss = clamp01(1 - trace.finalScore);
    return agentIds.flatMap((agentId) => {
      const step = trace.steps[agentId];
      if (!step || step.status !== "ok") return [];
      const judged = input.localScores?.[trace.exampleId]?.[agentId];
      if (judged !== undefined && judged < t.localWin) return [];
      const localStrength = judged ?? 0.5;
      const brokenSuccessor = successorsOf(input.graph, agentId)
        .map((s) => trace.steps[s])
        .find((s): s is AgentStep => s !== undefined && s.status !== "ok");
      const lostOn = brokenSuccessor ? "lookahead" : "global";
      return [
        makeCase({
          agentId,
          promptVersion: promptVersion(step.prompt),
          exampleId: trace.exampleId,
          source: "trace",
          lostOn,
          step,
          downstream: brokenSuccessor ? brokenSuccessor.output : trace.finalOutput,
          failureCaused: brokenSuccessor
            ? `successor ${brokenSuccessor.agentId} failed (${brokenSuccessor.status}${brokenSuccessor.error ? `: ${brokenSuccessor.error.message}` : ""}) and the final answer was wrong (score ${trace.finalScore})`
            : `the system's final answer was wrong (score ${trace.finalScore})`,
          category: brokenSuccessor ? `lookahead:${brokenSuccessor.status}-output` : "global:wrong-final-answer",
          strength: clamp01(localStrength * systemLoss),
          excerptChars: t.excerptChars,
        }),
      ];
    });
  });
}

interface CaseParts {
  agentId: string;
  promptVersion: string;
  exampleId: string;
  source: MisalignmentCase["source"];
  lostOn: MisalignmentCase["lostOn"];
  step: AgentStep;
  downstream: string;
  failureCaused: string;
  category: string;
  strength: number;
  excerptChars: number;
}

function makeCase(p: CaseParts): MisalignmentCase {
  const id = createHash("sha256").update([p.agentId, p.promptVersion, p.exampleId, p.lostOn].join("\u0000")).digest("hex").slice(0, 16);
  return {
    id,
    agentId: p.agentId,
    promptVersion: p.promptVersion,
    exampleId: p.exampleId,
    source: p.source,
    lostOn: p.lostOn,
    traceExcerpt: {
      input: excerpt(splitAgentContext(p.step.context).task, p.excerptChars),
      output: excerpt(p.step.output, p.excerptChars),
      downstream: excerpt(p.downstream, p.excerptChars),
    },
    failureCaused: excerpt(p.failureCaused, p.excerptChars),
    category: p.category,
    strength: p.strength,
  };
}

/** Case counts per category, most frequent first (ties by name). */
export function countByCategory(cases: readonly MisalignmentCase[]): { category: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const c of cases) counts.set(c.category, (counts.get(c.category) ?? 0) + 1);
  return [...counts.entries()]
    .map(([category, count]) => ({ category, count }))
    .sort((a, b) => b.count - a.count || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/**
 * A pairwise comparison that cancels the judge's position bias: the same question is asked with the
 * candidate shown first and with it shown second, and the two outcomes are averaged (win 1, tie ½,
 * loss 0 per order). A judge that always prefers A then contributes exactly ½, whatever it prefers.
 */
import type { LlmCaller } from "@maspo/core";
import { type JudgeQuestion, buildJudgeMessages } from "./judge-prompts.js";
import { type JudgeOutcome, type Winner, askJudge } from "./verdict.js";
import { addTallies, EMPTY_TALLY, type CallTally } from "@maspo/core";

export interface OrderOutcome {
  /** Where the candidate was shown in this order. */
  candidateAs: "A" | "B";
  winner: Winner;
  /** The candidate's result in this order: 1 win, 0.5 tie, 0 loss. */
  candidateScore: number;
  reason: string;
  malformed: boolean;
  attempts: number;
  problems: JudgeOutcome["problems"];
}

export interface PairwiseOutcome {
  /** The candidate's score in [0, 1], the mean over both orders. */
  score: number;
  /** "identical": both responses are the same text, a tie by definition (no judge call). */
  method: "judge" | "identical";
  orders: OrderOutcome[];
  malformed: number;
  tally: CallTally;
}

export interface PairwiseInput {
  llm: LlmCaller;
  endpointId: string;
  seed: number;
  question: Omit<JudgeQuestion, "responseA" | "responseB">;
  candidate: string;
  reference: string;
  maxAttempts?: number;
  maxTokens?: number;
}

export function candidateScore(winner: Winner, candidateAs: "A" | "B"): number {
  if (winner === "tie") return 0.5;
  return winner === candidateAs ? 1 : 0;
}

export async function comparePairwise(input: PairwiseInput): Promise<PairwiseOutcome> {
  // The judge could only express its bias when both sides say the same thing.
  if (input.candidate.trim() === input.reference.trim()) {
    return { score: 0.5, method: "identical", orders: [], malformed: 0, tally: EMPTY_TALLY };
  }
  const ask = async (candidateAs: "A" | "B"): Promise<OrderOutcome & { tally: CallTally }> => {
    const [responseA, responseB] = candidateAs === "A" ? [input.candidate, input.reference] : [input.reference, input.candidate];
    const outcome = await askJudge({
      llm: input.llm,
      endpointId: input.endpointId,
      seed: input.seed,
      messages: buildJudgeMessages({ ...input.question, responseA, responseB }),
      ...(input.maxAttempts !== undefined ? { maxAttempts: input.maxAttempts } : {}),
      ...(input.maxTokens !== undefined ? { maxTokens: input.maxTokens } : {}),
    });
    return {
      candidateAs,
      winner: outcome.verdict.winner,
      candidateScore: candidateScore(outcome.verdict.winner, candidateAs),
      reason: outcome.verdict.reason,
      malformed: outcome.malformed,
      attempts: outcome.attempts,
      problems: outcome.problems,
      tally: outcome.tally,
    };
  };
  const both = await Promise.all([ask("A"), ask("B")]);
  const orders = both.map(({ tally: _tally, ...order }) => order);
  return {
    score: (both[0].candidateScore + both[1].candidateScore) / 2,
    method: "judge",
    orders,
    malformed: both.filter((o) => o.malformed).length,
    tally: addTallies(...both.map((o) => o.tally)),
  };
}

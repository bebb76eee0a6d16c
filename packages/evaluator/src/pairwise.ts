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

/**
 * A judge's reason with its position labels ("Response A", "output B", "B's") replaced by who was
 * shown there — "the candidate's response", "the reference's output" — given where the candidate was
 * shown. A label means something only inside its own judge call; a reason quoted anywhere else (a
 * hard negative shown to the optimizer, the report) would otherwise say "A" with nothing to say which.
 */
export function withoutPositionLabels(reason: string, candidateAs: "A" | "B"): string {
  const side = (label: string) => (label.toUpperCase() === candidateAs ? "candidate's" : "reference's");
  const article = (offset: number, text: string) => (offset === 0 || /[.!?]\s*$/.test(text.slice(0, offset)) ? "The" : "the");
  return reason
    .replace(
      /\b(responses?|outputs?|answers?|candidates?|options?|completions?|replies|reply)\s+\(?([AB])\)?(['’]s)?(?!\w)/gi,
      (match: string, noun: string, label: string, possessive: string | undefined, offset: number, text: string) => {
        // Only a capital letter is a label: "an output a reader trusts" is prose.
        if (label !== label.toUpperCase()) return match;
        const n = noun.toLowerCase();
        const what = /^(candidate|option|completion)/.test(n) ? "response" : n === "replies" ? "reply" : n.replace(/s$/, "");
        return `${article(offset, text)} ${side(label)} ${what}${possessive ?? ""}`;
      },
    )
    .replace(/\b([AB])['’]s\b/g, (_m, label: string, offset: number, text: string) => `${article(offset, text)} ${side(label)}`);
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

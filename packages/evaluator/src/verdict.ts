/**
 * The judge's verdict: parsing it robustly, and asking for it with retries. A verdict that cannot be
 * read is asked again under the next sample index (the same request would be a cache hit of the same
 * bad answer); if it still cannot be read it counts as a tie and is reported — never as a win, and
 * never as a crash. LLM errors (the client's retries exhausted) do propagate: a judge that is down
 * must fail the task so it is redelivered, not quietly turn every comparison into a tie.
 */
import type { ChatMessage, LlmCaller } from "@maspo/core";
import { addTallies, excerpt, fieldOf, jsonValuesIn, tallyOf, type CallTally } from "@maspo/core";

export type Winner = "A" | "B" | "tie";

export interface Verdict {
  winner: Winner;
  reason: string;
}

export type ParsedVerdict = { ok: true; verdict: Verdict } | { ok: false; problem: string };

const TIE_WORDS = new Set(["tie", "draw", "equal", "same", "both", "neither", "none", "even", "tied", "equivalent"]);

/** "A", "Response A", "[[B]]", "option b", "Tie" → a winner; anything else → undefined. */
export function normaliseWinner(value: unknown): Winner | undefined {
  if (typeof value !== "string") return undefined;
  const words = value
    .toLowerCase()
    .replace(/[^a-z\s]/g, " ")
    .split(/\s+/)
    .filter((w) => w.length > 0 && !["response", "output", "option", "answer", "is", "the", "better", "winner"].includes(w));
  if (words.length === 1) {
    const w = words[0] as string;
    if (w === "a") return "A";
    if (w === "b") return "B";
    if (TIE_WORDS.has(w)) return "tie";
  }
  if (words.length > 0 && words.every((w) => TIE_WORDS.has(w))) return "tie";
  return undefined;
}

/**
 * A judge answer without the text of its quoted reason (`"reason": "…"`, closed or cut off): the
 * reason is asked for first, so an answer cut short can end inside it, and a winner the reason
 * mentions ("…so the winner: A.") is not the verdict.
 */
function withoutQuotedReason(text: string): string {
  return text.replace(/["']?\b(reason|reasoning|explanation|rationale|justification)\b["']?\s*[:=]\s*"(?:[^"\\]|\\.)*("|$)/gi, "");
}

/**
 * Reads `{"reason": ..., "winner": ...}` (either key order) out of a judge answer, tolerating fences,
 * prose and key/value variants.
 */
export function parseVerdict(text: string): ParsedVerdict {
  const objects = jsonValuesIn(text).filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v));
  for (const obj of objects) {
    const raw = fieldOf(obj, "winner", "verdict", "better", "preferred", "choice", "answer");
    const winner = normaliseWinner(raw);
    if (winner) {
      const reason = fieldOf(obj, "reason", "reasoning", "explanation", "rationale", "justification");
      return { ok: true, verdict: { winner, reason: typeof reason === "string" ? reason.trim() : "" } };
    }
  }
  // No JSON object at all (prose, or JSON cut short): accept only an unambiguous, closed statement of
  // the winner — `"winner": "B"` with its closing quote, or `winner: B` ending the line or sentence.
  const unquoted = withoutQuotedReason(text);
  const labelled =
    objects.length > 0
      ? []
      : [
          ...unquoted.matchAll(/["']?\bwinner\b["']?\s*[:=]\s*["'](?:response\s+)?(a|b|tie)["']/gi),
          ...unquoted.matchAll(/\bwinner\b\s*[:=]\s*\**(?:response\s+)?(a|b|tie)\**\s*(?:$|[.,;])/gim),
        ].map((m) => normaliseWinner(m[1]));
  const distinct = new Set(labelled.filter((w) => w !== undefined));
  if (distinct.size === 1) return { ok: true, verdict: { winner: [...distinct][0] as Winner, reason: "" } };
  const bare = normaliseWinner(text.trim());
  if (bare && text.trim().length <= 20) return { ok: true, verdict: { winner: bare, reason: "" } };
  const problem =
    objects.length > 0
      ? "JSON found but no readable winner field (expected A, B or tie)"
      : distinct.size > 1
        ? "conflicting winners stated"
        : "no JSON verdict found";
  return { ok: false, problem };
}

export interface AskJudgeInput {
  llm: LlmCaller;
  endpointId: string;
  messages: readonly ChatMessage[];
  seed: number;
  /** Total attempts for a malformed answer (first ask included); at least 1. */
  maxAttempts?: number;
  maxTokens?: number;
}

export interface JudgeOutcome {
  verdict: Verdict;
  /** True when no attempt could be parsed and the verdict is the tie it fell back to. */
  malformed: boolean;
  attempts: number;
  /** Each unreadable answer: what was wrong, and a bounded excerpt of it. */
  problems: { problem: string; answer: string }[];
  tally: CallTally;
}

export const DEFAULT_JUDGE_ATTEMPTS = 2;

/** One judge question in one order. Judges run at temperature 0; retries differ only by sample index. */
export async function askJudge(input: AskJudgeInput): Promise<JudgeOutcome> {
  const maxAttempts = Math.max(1, input.maxAttempts ?? DEFAULT_JUDGE_ATTEMPTS);
  const problems: JudgeOutcome["problems"] = [];
  const tallies: CallTally[] = [];
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const result = await input.llm.complete({
      endpointId: input.endpointId,
      role: "evaluator",
      messages: input.messages,
      temperature: 0,
      seed: input.seed,
      sampleIndex: attempt,
      json: true,
      ...(input.maxTokens !== undefined ? { maxTokens: input.maxTokens } : {}),
    });
    tallies.push(tallyOf(result));
    const parsed = parseVerdict(result.content);
    if (parsed.ok) {
      return { verdict: parsed.verdict, malformed: false, attempts: attempt + 1, problems, tally: addTallies(...tallies) };
    }
    problems.push({ problem: parsed.problem, answer: excerpt(result.content, 200) });
  }
  return {
    verdict: { winner: "tie", reason: "unparseable verdict (counted as a tie)" },
    malformed: true,
    attempts: maxAttempts,
    problems,
    tally: addTallies(...tallies),
  };
}

/**
 * The simulated judge (docs/llm-protocol.md §2): recognises a pairwise judge prompt however it is
 * worded, reads the lens, the task and the two responses, and picks a winner the way a fallible
 * model would — swayed by surface features (which traps produce), noticing wrong content only some
 * of the time, with seeded noise and a bias toward whichever response is shown first.
 */
import { contextRng, jsonReply, textDigest, type ChatContext } from "./chat-context.js";
import { findTask, splitSections, type Section } from "../reading/message-sections.js";
import { normalize } from "../reading/phrase-match.js";
import { recogniseProblem } from "../world/problem.js";
import { readOutput } from "../reading/output-reading.js";
import type { JudgeLens } from "../world/world-schema.js";

const JUDGE_CUE =
  /\b(judge|judging|compare|comparing|comparison|evaluate|evaluator|evaluating|grade|grader|verdict|winner|which (response|answer|output|candidate) is better|better response)\b/;

function responseLabel(key: string): "A" | "B" | undefined {
  const m = /\b(response|answer|output|candidate|option|completion|reply)\s+(a|b|1|2|one|two|first|second)\b/.exec(key);
  if (!m) return undefined;
  return ["a", "1", "one", "first"].includes(m[2] ?? "") ? "A" : "B";
}

/** Which lens the judge is asked for; lookahead first, since its wording also mentions roles and final answers. */
export function detectLens(text: string): JudgeLens {
  const t = normalize(text);
  if (/\b(lookahead|next agent|successor|successors|downstream|sets? up|set the next|following agent)\b/.test(t)) return "lookahead";
  if (/\b(local validity|role instruction|fulfils?|fulfills?|its role|the agent s role)\b/.test(t)) return "local";
  return "global";
}

interface Candidates {
  a: Section;
  b: Section;
}

function findResponses(sections: readonly Section[]): Candidates | undefined {
  const a = sections.find((s) => responseLabel(s.key) === "A");
  const b = sections.find((s) => responseLabel(s.key) === "B");
  return a && b ? { a, b } : undefined;
}

function gaussian(next: () => number): number {
  const u = Math.max(next(), 1e-12);
  const v = next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** What the judge read in a request: everything its verdict is made from. */
export interface JudgeReading {
  lens: JudgeLens;
  /** The example's task input, when a section holds it. */
  task?: string;
  responseA: string;
  responseB: string;
}

/**
 * A section describing the task in general (what inputs look like, what a final answer must be), as
 * opposed to the one example's input: the judge reads the example from the task section, and does
 * not use the description (it judges as it did before requests carried one).
 */
const TASK_DESCRIPTION = /\b(task|problem) (description|definition|overview|summary)\b|\babout the task\b/;

/** The judge request read, or undefined when this is not a judge prompt. */
export function readJudgeRequest(ctx: ChatContext): JudgeReading | undefined {
  const split = splitSections(ctx.user);
  const responses = findResponses(split.sections);
  if (!responses || !JUDGE_CUE.test(normalize(`${ctx.system}\n${ctx.user}`))) return undefined;
  const lens = detectLens(ctx.system.trim().length > 0 ? ctx.system : split.preamble);
  const task = findTask({ ...split, sections: split.sections.filter((s) => !TASK_DESCRIPTION.test(s.key)) });
  return { lens, ...(task ? { task: task.body } : {}), responseA: responses.a.body, responseB: responses.b.body };
}

/** The verdict text, or undefined when this is not a judge prompt. */
export function judgeReply(ctx: ChatContext): string | undefined {
  const reading = readJudgeRequest(ctx);
  if (!reading) return undefined;
  const { judge } = ctx.cw.world;
  const { lens } = reading;
  const params = judge.lenses[lens];
  const problem = reading.task !== undefined ? recogniseProblem(ctx.cw.templates, reading.task) : undefined;
  const rng = contextRng(ctx, "judge", textDigest(`${ctx.system}\n${ctx.user}`));
  const next = () => rng.next();

  const assess = (body: string) => {
    const read = readOutput(ctx.cw, body, problem);
    let surface = 0;
    let best: { weight: number; describe: string } | undefined;
    for (const f of read.features) {
      const feature = ctx.cw.features.get(f)?.feature;
      if (!feature) continue;
      surface += feature.judge * params.surface;
      if (feature.describe && (!best || Math.abs(feature.judge) > Math.abs(best.weight)))
        best = { weight: feature.judge, describe: feature.describe };
    }
    const caught = read.wrong && next() < params.detect;
    return { score: surface - (caught ? params.correctness : 0), caught, best };
  };
  const a = assess(reading.responseA);
  const b = assess(reading.responseB);
  const diff = a.score - b.score + judge.positionBias + judge.noise * gaussian(next);
  const winner = diff > judge.tieMargin ? "A" : diff < -judge.tieMargin ? "B" : "tie";

  let reason: string;
  if (winner === "tie") reason = "Both responses are about equally good for this purpose.";
  else {
    const [w, l] = winner === "A" ? [a, b] : [b, a];
    const other = winner === "A" ? "B" : "A";
    if (l.caught && !w.caught) reason = `Response ${other} states figures that do not match the task.`;
    else if (w.best && w.best.weight > 0) reason = `Response ${winner} ${w.best.describe}.`;
    else reason = `Response ${winner} fulfils the request more convincingly.`;
  }
  if (next() < judge.malformedRate) {
    // A realistic failure: prose instead of JSON, or JSON cut off.
    return next() < 0.5
      ? `I think Response ${winner === "tie" ? "A" : winner} is better. ${reason}`
      : `{"winner": "${winner}", "reason": "${reason.slice(0, 12)}`;
  }
  return jsonReply(ctx, JSON.stringify({ winner, reason }));
}

/**
 * What simlm's judge and optimizer read in the request layouts maspo sends (docs/llm-protocol.md §2,
 * §3): the sections added for real models — the task description, a reason-first answer format, a
 * failing trace's correct answer — are read past, and what the roles infer is what they inferred
 * from the layout without them.
 */
import { describe, expect, it } from "vitest";
import { generateDataset } from "../world/dataset.js";
import { loadWorld } from "../world/world-load.js";
import { readChatRequest } from "./request-reading.js";

const world = loadWorld("math-chain");
const example = generateDataset(world).train[0];
const task = example?.input ?? "";
const description =
  '## Task description\nTask: arithmetic word problems\nInput: A short word problem.\nFinal answer: The final line "Answer: <n>".';

const judgeSystem = (lens: string, format: string) =>
  [
    "You are an impartial judge comparing two responses in a multi-agent LLM system.",
    lens,
    "Ignore the order in which the responses are shown and their length; judge substance only.",
    format,
  ].join("\n");
const OLD_FORMAT = 'Answer with JSON: {"winner": "A" | "B" | "tie", "reason": "<one sentence>"}';
const NEW_FORMAT =
  'State your reason before your verdict.\nAnswer with JSON, the reason first: {"reason": "<one sentence>", "winner": "A" | "B" | "tie"}';
// Worded as any judge prompt might be: simlm reads the lens loosely.
const LENSES = {
  local: "Judge local validity: which response better fulfils the agent's role instruction?",
  lookahead: "Judge lookahead: which response of the next agent shows that its input set it up to succeed?",
  global: "Judge global alignment: which final answer of the whole system to the task is more correct?",
};

function judgeRequest(lens: keyof typeof LENSES, withNew: boolean, descriptionLast = false) {
  const body = [`## Task\n${task}`, "## Response A\nAnswer: 12", "## Response B\nThe answer is probably 13."];
  const sections = withNew ? (descriptionLast ? [...body, description] : [description, ...body]) : body;
  return {
    model: "judge",
    messages: [
      { role: "system" as const, content: judgeSystem(LENSES[lens], withNew ? NEW_FORMAT : OLD_FORMAT) },
      { role: "user" as const, content: [...sections, withNew ? NEW_FORMAT : OLD_FORMAT].join("\n\n") },
    ],
  };
}

describe("simlm's judge reads the layout with a task description and a reason-first format", () => {
  it.each(Object.keys(LENSES) as (keyof typeof LENSES)[])("reads the %s lens, the example's task and both responses as before", (lens) => {
    const before = readChatRequest(world, judgeRequest(lens, false));
    expect(before.judge).toMatchObject({ lens, task, problemKnown: true });
    expect(readChatRequest(world, judgeRequest(lens, true)).judge).toEqual(before.judge);
    // the description is not the example, wherever it stands
    expect(readChatRequest(world, judgeRequest(lens, true, true)).judge).toEqual(before.judge);
  });
});

describe("simlm's optimizer reads a failing trace's correct answer as a field it does not use", () => {
  const meta = (extra: string) => ({
    model: "optimizer",
    messages: [
      { role: "system" as const, content: "You are a prompt engineer improving one agent's prompt in a multi-agent LLM system." },
      {
        role: "user" as const,
        content: [
          "## Agent\nformatter — formatter",
          "## Current prompt\n<<<\nYou are the formatter. Write the final answer.\n>>>",
          "## Operator\nadd constraint\nAdd one explicit constraint.",
          [
            "## Execution traces",
            "### Trace 1 (outcome: failure — final answer wrong (score 0))",
            `Input: ${task}`,
            "Output: The final answer to the question is 12.",
            extra,
          ]
            .filter((l) => l.length > 0)
            .join("\n"),
          'Answer with JSON: {"analysis": "...", "modification": "...", "prompt": "<the complete new prompt>"}',
        ].join("\n\n"),
      },
    ],
  });

  it("right after the output, the answer does not run on into it: the output still lacks its answer line", () => {
    const before = readChatRequest(world, meta("")).optimizer;
    expect(before).toMatchObject({ agent: "formatter", named: "formatter", records: 1, failing: 1 });
    expect(before?.shown.map((s) => s.failure)).toContain("no_answer_line");
    // "Answer: <n>" is the formatter's answer-line feature: read as part of the output, it would hide the failure
    for (const line of [`Correct answer: ${example?.label ?? "0"}`, `Correct Answer: ${example?.label ?? "0"}`, "Expected Answer: 41"]) {
      expect(readChatRequest(world, meta(line)).optimizer).toEqual(before);
    }
  });
});

import { MUTATION_OPERATORS, buildAgentUserMessage } from "@maspo/core";
import type { MisalignmentCase } from "@maspo/core";
import type { AgentStep, Trace } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { DEFAULT_PROMPT_BUDGET_CHARS, buildMetaPrompt, successorBriefsOf } from "./meta-prompt.js";
import { OPERATORS } from "./operators.js";

function step(agentId: string, output: string, context: string, status: AgentStep["status"] = "ok"): AgentStep {
  return {
    agentId,
    prompt: `P-${agentId}`,
    context,
    output,
    status,
    usage: { promptTokens: 1, completionTokens: 1 },
    cached: false,
    latencyMs: 0,
  };
}

/** planner → solver → formatter on one example, with the outputs given. */
function chainTrace(id: string, task: string, plan: string, answer: string, final: string, finalScore?: number): Trace {
  return {
    exampleId: id,
    steps: {
      planner: step("planner", plan, buildAgentUserMessage(task, [])),
      solver: step("solver", answer, buildAgentUserMessage(task, [{ agentId: "planner", output: plan }])),
      formatter: step("formatter", final, buildAgentUserMessage(task, [{ agentId: "solver", output: answer }])),
    },
    executed: ["planner", "solver", "formatter"],
    finalAgent: "formatter",
    finalOutput: final,
    ...(finalScore !== undefined ? { finalScore } : {}),
  };
}

const failing = chainTrace("e1", "What is 3 + 4?", "PLAN-e1: just guess", "ANSWER-e1: 0", "FINAL-e1: 0", 0);
const passing = chainTrace("e2", "What is 10 + 5?", "PLAN-e2: add 10 and 5", "ANSWER-e2: 15", "FINAL-e2: 15", 1);
const hardNegative: MisalignmentCase = {
  id: "case-1",
  agentId: "solver",
  promptVersion: "abc",
  exampleId: "e9",
  source: "evaluation",
  lostOn: "lookahead",
  traceExcerpt: { input: "NEG-INPUT", output: "NEG-OUTPUT", downstream: "NEG-DOWNSTREAM" },
  failureCaused: "NEG-FAILURE: formatter could not read the answer",
  category: "lookahead:unreadable-answer",
  strength: 0.9,
};

const base = {
  agentId: "solver",
  role: "solver",
  parent: "You are the solver. Compute.",
  traces: [failing, passing],
  hardNegatives: [hardNegative],
};

describe("buildMetaPrompt", () => {
  it.each(MUTATION_OPERATORS)(
    "puts the traces it was given (context, output, outcome) and the hard negatives into the %s meta-prompt",
    (operator) => {
      const meta = buildMetaPrompt({ ...base, operator });
      const user = meta.messages[1]?.content ?? "";
      expect(meta.messages[0]?.role).toBe("system");
      const shown = { failingTraces: 1, successfulTraces: 1, otherTraces: 0, hardNegatives: 1 };
      expect(user).toContain(`## Operator\n${OPERATORS[operator].label}\n${OPERATORS[operator].instruction(shown)}`);
      expect(user).toContain("<<<\nYou are the solver. Compute.\n>>>");
      for (const t of [failing, passing]) {
        const id = t.exampleId;
        expect(user).toContain(`Input: What is`);
        expect(user).toContain(`Context: from planner: PLAN-${id}`);
        expect(user).toContain(`Output: ANSWER-${id}`);
        expect(user).toContain(`formatter: FINAL-${id}`);
      }
      expect(user).toContain("(outcome: failure — final answer wrong (score 0))");
      expect(user).toContain("(outcome: success)");
      expect(user).toContain("final answer: FINAL-e1: 0 (wrong)");
      expect(user).toContain("### Case 1 (category: lookahead:unreadable-answer)");
      for (const s of ["NEG-INPUT", "NEG-OUTPUT", "NEG-DOWNSTREAM", "Failure caused: NEG-FAILURE"]) expect(user).toContain(s);
      expect(meta.traceIds.sort()).toEqual(["e1", "e2"]);
      expect(meta.hardNegativeIds).toEqual(["case-1"]);
      expect(meta.noTraces).toBe(false);
    },
  );

  it("shows failing traces first for repairs and good traces first for a one-shot example", () => {
    expect(buildMetaPrompt({ ...base, traces: [passing, failing], operator: "add_constraint", limits: { maxTraces: 1 } }).traceIds).toEqual(
      ["e1"],
    );
    expect(buildMetaPrompt({ ...base, traces: [failing, passing], operator: "add_one_shot", limits: { maxTraces: 1 } }).traceIds).toEqual([
      "e2",
    ]);
  });

  it("bounds its size: at most maxTraces traces and maxHardNegatives cases, each field cut", () => {
    const long = chainTrace("long", "What is 1 + 1?", `PLAN ${"x".repeat(5000)}`, `ANSWER ${"y".repeat(5000)}`, "FINAL", 0);
    const many = Array.from({ length: 20 }, (_, i) => ({ ...long, exampleId: `t${i}` }));
    const meta = buildMetaPrompt({
      ...base,
      traces: many,
      hardNegatives: [hardNegative, { ...hardNegative, id: "case-2" }],
      operator: "rephrase",
      limits: { maxTraces: 3, maxHardNegatives: 1, excerptChars: 100 },
    });
    const user = meta.messages[1]?.content ?? "";
    expect(meta.traceIds).toEqual(["t0", "t1", "t2"]);
    expect(meta.hardNegativeIds).toEqual(["case-1"]);
    expect(user.match(/### Trace/g)).toHaveLength(3);
    expect(user).not.toContain("x".repeat(101));
    expect(user.length).toBeLessThan(3 * 5 * 130 + 2000);
  });

  it("leaves out traces and hard negatives under the no-traces ablation, and reports it", () => {
    const meta = buildMetaPrompt({ ...base, operator: "add_negative", noTraces: true });
    const user = meta.messages[1]?.content ?? "";
    expect(meta).toMatchObject({ noTraces: true, traceIds: [], hardNegativeIds: [] });
    expect(user).not.toMatch(/Execution traces|Hard negatives|ANSWER-e1|NEG-OUTPUT/);
  });

  it("keeps an output's own markdown from opening a new section", () => {
    const md = chainTrace("md", "What is 2 + 2?", "plan", "## Result\nAnswer: 4", "FINAL", 1);
    const user = buildMetaPrompt({ ...base, traces: [md], operator: "rephrase" }).messages[1]?.content ?? "";
    expect(user).toContain("Output: ## Result\n    Answer: 4");
  });

  it("describes a failing successor step as the trace's failure", () => {
    const broken: Trace = {
      ...failing,
      steps: { ...failing.steps, formatter: { ...(failing.steps.formatter as AgentStep), status: "empty", output: "" } },
    };
    const user = buildMetaPrompt({ ...base, traces: [broken], operator: "rephrase" }).messages[1]?.content ?? "";
    expect(user).toContain("(outcome: failure — successor formatter produced empty output)");
  });

  it("tells the optimizer the task: its name, what an input looks like, what a final answer must be", () => {
    const task = { name: "arithmetic word problems", input: "A short word problem.", output: 'The final line "Answer: <n>".' };
    const user = buildMetaPrompt({ ...base, operator: "rephrase", task }).messages[1]?.content ?? "";
    expect(user).toContain(
      '## Task description\nTask: arithmetic word problems\nInput: A short word problem.\nFinal answer: The final line "Answer: <n>".',
    );
    expect(buildMetaPrompt({ ...base, operator: "rephrase" }).messages[1]?.content).not.toContain("## Task description");
  });

  it("names the agent's successors with what their prompts ask for, or says its output is the final answer", () => {
    const graph = {
      final: "formatter",
      agents: [
        { id: "planner", role: "planner", predecessors: [], model: "m" },
        { id: "solver", role: "solver", predecessors: ["planner"], model: "m" },
        { id: "formatter", role: "answer formatter", predecessors: ["solver"], model: "m" },
      ],
    };
    const successors = successorBriefsOf(graph, "solver", [failing, passing]);
    expect(successors).toEqual([{ agentId: "formatter", role: "answer formatter", prompt: "P-formatter" }]);
    const user = buildMetaPrompt({ ...base, operator: "rephrase", successors, isFinal: false }).messages[1]?.content ?? "";
    expect(user).toContain(
      "## Successors (the agents that receive this agent's output)\n- formatter — answer formatter; its prompt asks: P-formatter",
    );

    const multiline = buildMetaPrompt({
      ...base,
      operator: "rephrase",
      successors: [{ agentId: "f", role: "r", prompt: "Line one.\n## Not a section" }],
    });
    expect(multiline.messages[1]?.content).toContain("its prompt asks: Line one.\n    ## Not a section");

    const final = buildMetaPrompt({
      ...base,
      agentId: "formatter",
      operator: "rephrase",
      successors: successorBriefsOf(graph, "formatter", []),
      isFinal: true,
    });
    expect(final.messages[1]?.content).toContain("## Successors\nNone: this agent's output is the system's final answer.");
  });

  it("shows the correct answer of a failing trace whose example has a label, and of no other trace", () => {
    const user = (traces: Trace[]) => buildMetaPrompt({ ...base, traces, operator: "rephrase" }).messages[1]?.content ?? "";
    expect(user([{ ...failing, label: "7" }])).toContain(
      "Downstream: formatter: FINAL-e1: 0\n    final answer: FINAL-e1: 0 (wrong)\nCorrect answer: 7",
    );
    expect(user([{ ...passing, label: "15" }])).not.toContain("Correct answer");
    expect(user([failing])).not.toContain("Correct answer");
  });

  it("shows each hard negative once: a case repeating another's input and output is left out", () => {
    const repeat = {
      ...hardNegative,
      id: "case-2",
      lostOn: "global" as const,
      traceExcerpt: { ...hardNegative.traceExcerpt, output: " NEG-OUTPUT\n" },
    };
    const other = { ...hardNegative, id: "case-3", traceExcerpt: { ...hardNegative.traceExcerpt, output: "OTHER-OUTPUT" } };
    const meta = buildMetaPrompt({ ...base, hardNegatives: [hardNegative, repeat, other], operator: "add_negative" });
    expect(meta.hardNegativeIds).toEqual(["case-1", "case-3"]);
    expect(meta.messages[1]?.content.match(/Output: NEG-OUTPUT/g)).toHaveLength(1);
  });

  it("words each operator by the evidence it is sent: no hard negatives mentioned when there are none", () => {
    const sent = (over: Partial<Parameters<typeof buildMetaPrompt>[0]>) =>
      buildMetaPrompt({ ...base, operator: "add_constraint", ...over })
        .messages[1]?.content.split("## Operator\n")[1]
        ?.split("\n\n")[0] ?? "";
    expect(sent({})).toContain("the failures shown in the failing traces and the hard negatives");
    expect(sent({ hardNegatives: [] })).toContain("the failures shown in the failing traces.");
    expect(sent({ hardNegatives: [] })).not.toContain("hard negative");
    expect(sent({ traces: [passing] })).toContain("the failures shown in the hard negatives.");
    expect(sent({ noTraces: true })).not.toMatch(/trace|hard negative/);
    expect(sent({ operator: "add_negative", hardNegatives: [] })).toContain("taken from a failing trace below");
    expect(sent({ operator: "add_one_shot", traces: [failing] })).toContain(
      "built from a trace below (its input, and the output the agent should have given)",
    );
    expect(sent({ operator: "add_one_shot" })).toContain("built from a successful trace below");
  });

  it("states the length budget: the default, the parent's length when longer, or the one requested", () => {
    const budget = (over: Partial<Parameters<typeof buildMetaPrompt>[0]>) => buildMetaPrompt({ ...base, operator: "rephrase", ...over });
    const meta = budget({});
    expect(meta.promptBudgetChars).toBe(DEFAULT_PROMPT_BUDGET_CHARS);
    expect(meta.messages[1]?.content).toContain(
      `## Length budget\nThe new prompt must be at most ${DEFAULT_PROMPT_BUDGET_CHARS} characters (the current prompt has ${base.parent.length}); a longer one is not accepted.`,
    );
    expect(budget({ parent: "p".repeat(5000) }).promptBudgetChars).toBe(5000);
    expect(budget({ promptBudgetChars: 900 }).messages[1]?.content).toContain("at most 900 characters");
  });
});

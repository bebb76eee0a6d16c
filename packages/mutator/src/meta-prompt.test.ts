import { MUTATION_OPERATORS, buildAgentUserMessage } from "@maspo/core";
import type { MisalignmentCase } from "@maspo/core";
import type { AgentStep, Trace } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { buildMetaPrompt } from "./meta-prompt.js";
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
      expect(user).toContain(`## Operator\n${OPERATORS[operator].label}\n${OPERATORS[operator].instruction}`);
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
});

/**
 * The mutator against a simlm world (math-chain): the simulated optimizer reads the failing traces
 * in the meta-prompt and proposes the directive that addresses the failure they show in most
 * proposals — and does much worse when the no-traces ablation hides them; hard negatives from a
 * misalignment evaluation lead it to take the trap out again.
 */
import { DEFAULT_WEIGHTS, renderAgentPrompt, type LlmCaller } from "@maspo/core";
import { evaluateCandidate, findMisalignments } from "@maspo/evaluator/internal";
import { executeGraph } from "@maspo/executor";
import { type Example } from "@maspo/core";
import { buildMetaPrompt, mutate, parseProposal, successorBriefsOf } from "@maspo/mutator/internal";
import {
  detectDirectives,
  generateDataset,
  loadWorld,
  promptForDirectives,
  readChatRequest,
  simCaller,
  worldGraph,
  worldScorer,
} from "@maspo/simlm";
import { describe, expect, it } from "vitest";

const world = loadWorld("math-chain");
const graph = worldGraph(world, "serve");
const examples: Example[] = generateDataset(world).train.slice(0, 20);
const scoreFinal = worldScorer(world);
const agentOf = (id: string) => {
  const a = world.agents.find((x) => x.id === id);
  if (!a) throw new Error(`math-chain has no agent ${id}`);
  return a;
};
const initialPrompts = Object.fromEntries(world.agents.map((a) => [a.id, renderAgentPrompt(a.prompt)]));
const llm = simCaller(world);
const runAll = (prompts: Record<string, string>) =>
  Promise.all(examples.map((example) => executeGraph({ graph, prompts, example, llm, seed: 3, scoreFinal })));

/** Records what the optimizer answered, so the share of proposals can be counted before de-duplication. */
function answersOf(inner: LlmCaller): LlmCaller & { answers: string[] } {
  const answers: string[] = [];
  return {
    answers,
    async complete(req) {
      const result = await inner.complete(req);
      if (req.role === "optimizer") answers.push(result.content);
      return result;
    },
  };
}

function parsedAnswers(answers: readonly string[]): { prompt: string }[] {
  return answers.flatMap((a) => {
    const parsed = parseProposal(a);
    return parsed.ok ? [parsed.proposal] : [];
  });
}

/** The share of proposals whose prompt carries `directiveId` (as simlm reads prompts). */
function shareWith(proposals: readonly { prompt: string }[], agentId: string, directiveId: string): number {
  const agent = agentOf(agentId);
  return proposals.filter((p) => detectDirectives(agent, p.prompt).has(directiveId)).length / proposals.length;
}

describe("mutation against simlm (math-chain)", () => {
  it("turns failing traces into the directive that addresses the failure they show, in most proposals", async () => {
    const planner = agentOf("planner");
    const failure = planner.failures.find((f) => f.id === "missing_quantities");
    const fix = failure && "add" in failure.fix ? failure.fix.add : "?";
    expect(detectDirectives(planner, initialPrompts.planner ?? "").has(fix)).toBe(false);

    const traces = (await runAll(initialPrompts)).filter((t) => t.finalScore === 0);
    expect(traces.length).toBeGreaterThanOrEqual(3);
    const request = {
      agentId: "planner",
      role: planner.role,
      parent: initialPrompts.planner ?? "",
      operator: "add_constraint" as const,
      traces,
      hardNegatives: [],
      llm,
      optimizerModel: "optimizer",
      temperature: 0.7,
      seed: 9,
      children: 12,
      existingPrompts: [],
    };
    // the optimizer really is shown the failing traces: the planner's own outputs are in its meta-prompt
    const meta = buildMetaPrompt(request);
    for (const id of meta.traceIds) {
      const shown = traces.find((t) => t.exampleId === id);
      expect(meta.messages[1]?.content).toContain(shown?.steps.planner?.output.split("\n")[0] ?? "?");
    }

    // Counted over everything the optimizer proposed: grounded fixes often coincide and are then de-duplicated.
    const guidedLlm = answersOf(llm);
    const guided = await mutate({ ...request, llm: guidedLlm });
    const guidedShare = shareWith(parsedAnswers(guidedLlm.answers), "planner", fix);
    expect(parsedAnswers(guidedLlm.answers).length).toBeGreaterThanOrEqual(10);
    expect(guidedShare).toBeGreaterThan(0.5);
    expect(guided.proposals.length + guided.dropped.duplicate + guided.dropped.empty).toBe(request.children - guided.malformed);
    expect(guided.proposals.some((p) => detectDirectives(planner, p.prompt).has(fix))).toBe(true);
    for (const p of guided.proposals) expect(p.lineage.traceIds).toEqual(meta.traceIds);

    // The ablation: without traces the optimizer can only guess.
    const blindLlm = answersOf(llm);
    const blind = await mutate({ ...request, llm: blindLlm, noTraces: true });
    expect(blind.noTraces).toBe(true);
    expect(shareWith(parsedAnswers(blindLlm.answers), "planner", fix)).toBeLessThan(guidedShare - 0.2);
  });

  it("takes the trap out again when shown the hard negatives it caused", async () => {
    const good = {
      planner: promptForDirectives(world, "planner", new Set(["list_quantities", "number_steps"])),
      solver: promptForDirectives(world, "solver", new Set(["show_work", "follow_plan"])),
      formatter: promptForDirectives(world, "formatter", new Set(["answer_line", "copy_result"])),
    };
    const trap = agentOf("planner").directives.find((d) => d.trap);
    const trapped = promptForDirectives(world, "planner", new Set(["list_quantities", "number_steps", trap?.id ?? "?"]));
    const ev = await evaluateCandidate({
      graph,
      agentId: "planner",
      candidate: trapped,
      reference: good.planner,
      prompts: good,
      minibatch: examples,
      llm,
      judgeModels: { local: "judge", lookahead: "judge", global: "judge" },
      weights: DEFAULT_WEIGHTS,
      seed: 3,
      scoreFinal,
    });
    const hardNegatives = findMisalignments(ev).slice(0, 3);
    expect(hardNegatives.length).toBe(3);

    const optimizer = answersOf(llm);
    const out = await mutate({
      agentId: "planner",
      role: "planner",
      parent: trapped,
      operator: "add_negative",
      traces: ev.examples.map((e) => e.candidateTrace),
      hardNegatives,
      llm: optimizer,
      optimizerModel: "optimizer",
      temperature: 0.7,
      seed: 9,
      children: 12,
      existingPrompts: [good.planner],
    });
    for (const p of out.proposals) expect(p.lineage.hardNegativeIds).toEqual(hardNegatives.map((c) => c.id));
    expect(1 - shareWith(parsedAnswers(optimizer.answers), "planner", trap?.id ?? "?")).toBeGreaterThan(0.5);
  });

  it("reads the meta-prompt past its task description, successors, correct answers and length budget: what it infers is unchanged", async () => {
    const traces = (await runAll(initialPrompts)).filter((t) => t.finalScore === 0);
    expect(traces.length).toBeGreaterThanOrEqual(3);
    expect(traces.every((t) => t.label !== undefined)).toBe(true);
    for (const agentId of ["planner", "solver", "formatter"]) {
      const meta = buildMetaPrompt({
        agentId,
        role: agentOf(agentId).role,
        parent: initialPrompts[agentId] ?? "",
        operator: "add_constraint",
        traces,
        hardNegatives: [],
        task: { name: "arithmetic word problems", input: "A short word problem.", output: 'The final line "Answer: <n>".' },
        successors: successorBriefsOf(graph, agentId, traces),
        isFinal: agentId === graph.final,
      });
      const [system, user] = meta.messages;
      for (const s of ["## Task description", "## Successors", "\nCorrect answer: ", "## Length budget"])
        expect(user?.content).toContain(s);
      // the layout without the new parts, as the optimizer was sent it before
      const bare = (user?.content ?? "")
        .split("\n\n")
        .filter((block) => !/^## (Task description|Successors|Length budget)/.test(block))
        .join("\n\n")
        .split("\n")
        .filter((line) => !line.startsWith("Correct answer: "))
        .join("\n");
      const read = (content: string) =>
        readChatRequest(world, {
          model: "optimizer",
          messages: [{ ...(system ?? { role: "system", content: "" }) }, { role: "user", content }],
        });
      const full = read(user?.content ?? "");
      expect(full.role).toBe("optimizer");
      expect(full.optimizer?.failing).toBeGreaterThan(0);
      expect(full).toEqual(read(bare));
    }
  });
});

/**
 * The evaluator against a simlm world (math-chain): the trap directive misleads the local judge and
 * is caught by lookahead and flagged as misalignment; the position swap cancels the world judge's
 * bias toward Response A; a lookahead run re-executes only the successors; malformed verdicts are
 * survived; and a repeated evaluation through the real LLM client's cache costs no new call.
 */
import { DEFAULT_WEIGHTS, promptVersion, renderAgentPrompt } from "@maspo/core";
import { LlmClient } from "@maspo/llm";
import {
  askJudge,
  buildJudgeMessages,
  comparePairwise,
  evaluateCandidate,
  findMisalignments,
  type EvaluateCandidateInput,
} from "@maspo/evaluator/internal";
import { executeGraph } from "@maspo/executor";
import { type Example } from "@maspo/core";
import {
  createWorldService,
  generateDataset,
  loadWorld,
  promptForDirectives,
  readChatRequest,
  simCaller,
  simFetch,
  worldGraph,
  worldScorer,
  type World,
} from "@maspo/simlm";
import { describe, expect, it } from "vitest";

const world = loadWorld("math-chain");
const graph = worldGraph(world, "serve");
const examples: Example[] = generateDataset(world).train.slice(0, 20);
const scoreFinal = worldScorer(world);

/** Each agent with the helpful directives the method should find; the planner's trap is added on top for the candidate. */
const goodPrompts: Record<string, string> = {
  planner: promptForDirectives(world, "planner", new Set(["list_quantities", "number_steps"])),
  solver: promptForDirectives(world, "solver", new Set(["show_work", "follow_plan"])),
  formatter: promptForDirectives(world, "formatter", new Set(["answer_line", "copy_result"])),
};
const planner = world.agents.find((a) => a.id === "planner");
const trap = planner?.directives.find((d) => d.trap);
const trapPlanner = promptForDirectives(world, "planner", new Set(["list_quantities", "number_steps", trap?.id ?? "?"]));

const judgeModels = { local: "judge", lookahead: "judge", global: "judge" };

function evalInput(over: Partial<EvaluateCandidateInput>): EvaluateCandidateInput {
  return {
    graph,
    agentId: "planner",
    candidate: trapPlanner,
    reference: goodPrompts.planner as string,
    prompts: goodPrompts,
    minibatch: examples,
    llm: simCaller(world),
    judgeModels,
    weights: DEFAULT_WEIGHTS,
    seed: 5,
    scoreFinal,
    ...over,
  };
}

describe("evaluation against simlm (math-chain)", () => {
  it("scores the world's trap directive high on local and low on lookahead and global, and flags it as misalignment", async () => {
    expect(trap?.trap).toBe(true);
    expect(trapPlanner.toLowerCase()).toContain(trap?.triggers[0] ?? "?");
    const ev = await evaluateCandidate(evalInput({}));
    expect(ev.scores.local).toBeGreaterThanOrEqual(0.75);
    expect(ev.scores.lookahead).toBeLessThanOrEqual(0.45);
    expect(ev.scores.global).toBeLessThan(0.5);
    expect(ev.joint).toBeLessThan(0);

    const cases = findMisalignments(ev);
    expect(cases.length).toBeGreaterThanOrEqual(5);
    for (const c of cases) {
      expect(c).toMatchObject({ agentId: "planner", promptVersion: promptVersion(trapPlanner), source: "evaluation" });
      expect(c.category).toMatch(/^(lookahead|global):[a-z-]+$/);
      expect(examples.map((e) => e.id)).toContain(c.exampleId);
      // the excerpt shows the trap's own output: confident, with no steps for the solver
      expect(c.traceExcerpt.output).toContain("Strategy:");
    }
  });

  it("does not flag a helpful prompt change as misalignment", async () => {
    const initial = renderAgentPrompt(planner?.prompt ?? { role: "?", instructions: "?" });
    const ev = await evaluateCandidate(
      evalInput({ candidate: goodPrompts.planner as string, reference: initial, prompts: { ...goodPrompts, planner: initial } }),
    );
    expect(ev.scores.global).toBeGreaterThan(0.5);
    expect(findMisalignments(ev).length).toBeLessThanOrEqual(2);
  });

  it("cancels the world judge's position bias by asking both orders, where one order alone shows it", async () => {
    const llm = simCaller(world);
    const all = generateDataset(world).train;
    const traces = await Promise.all(
      all.map((example) => executeGraph({ graph, prompts: goodPrompts, example, llm, seed: 5, scoreFinal })),
    );
    // Two responses of equal quality: the same correct output, differing only in an inner line break.
    const pairs = traces.flatMap((t, i) => {
      const x = t.steps.solver?.output ?? "";
      return t.finalScore === 1 ? [{ example: all[i] as Example, x, twin: x.replace("\n", " \n") }] : [];
    });
    expect(pairs.length).toBeGreaterThanOrEqual(30);
    expect(pairs.every((p) => p.twin !== p.x)).toBe(true);
    const question = (ex: Example) => ({ lens: "local" as const, roleInstruction: goodPrompts.solver as string, task: ex.input });

    const oneOrder = await Promise.all(
      pairs.map((p) =>
        askJudge({
          llm,
          endpointId: "judge",
          seed: 5,
          messages: buildJudgeMessages({ ...question(p.example), responseA: p.twin, responseB: p.x }),
        }),
      ),
    );
    const firstShownScore = mean(oneOrder.map((o) => (o.verdict.winner === "A" ? 1 : o.verdict.winner === "tie" ? 0.5 : 0)));
    expect(firstShownScore).toBeGreaterThan(0.6);

    const swapped = await Promise.all(
      pairs.map((p) =>
        comparePairwise({ llm, endpointId: "judge", seed: 5, question: question(p.example), candidate: p.twin, reference: p.x }),
      ),
    );
    const reversed = await Promise.all(
      pairs.map((p) =>
        comparePairwise({ llm, endpointId: "judge", seed: 5, question: question(p.example), candidate: p.x, reference: p.twin }),
      ),
    );
    // Exactly antisymmetric per pair, so the bias cannot favour either side...
    swapped.forEach((s, i) => expect(s.score + (reversed[i]?.score ?? NaN)).toBe(1));
    // ...and equal outputs come out even on average.
    const swappedBias = Math.abs(mean(swapped.map((s) => s.score)) - 0.5);
    expect(swappedBias).toBeLessThanOrEqual(0.08);
    expect(swappedBias).toBeLessThan((firstShownScore - 0.5) / 2);
  });

  it("re-executes only the evaluated agent's successors on top of the shared upstream run", async () => {
    const setup = simCaller(world);
    const baseTraces = await Promise.all(
      examples.map((example) => executeGraph({ graph, prompts: goodPrompts, example, llm: setup, seed: 5, scoreFinal })),
    );
    const llm = simCaller(world);
    const verify = promptForDirectives(world, "solver", new Set(["show_work", "follow_plan", "verify"]));
    const ev = await evaluateCandidate(
      evalInput({ agentId: "solver", candidate: verify, reference: goodPrompts.solver as string, baseTraces, llm }),
    );
    const served = llm.calls.filter((c) => c.role === "serving").map((c) => c.messages[0]?.content ?? "");
    expect(served.filter((p) => p === goodPrompts.planner)).toHaveLength(0);
    expect(served.filter((p) => p === verify)).toHaveLength(examples.length);
    expect(served.filter((p) => p === goodPrompts.formatter)).toHaveLength(examples.length);
    for (const [i, e] of ev.examples.entries()) {
      expect(e.candidateTrace.executed).toEqual(["solver", "formatter"]);
      expect(e.candidateTrace.steps.planner).toEqual(baseTraces[i]?.steps.planner);
      expect(e.lookahead?.perSuccessor.map((o) => o.agentId)).toEqual(["formatter"]);
    }
  });

  it("survives a judge that answers malformed verdicts, counting each unreadable one as a tie and reporting it", async () => {
    const sloppy: World = { ...world, judge: { ...world.judge, malformedRate: 1 } };
    const ev = await evaluateCandidate(evalInput({ llm: simCaller(sloppy), minibatch: examples.slice(0, 8) }));
    expect(ev.malformedVerdicts).toBeGreaterThan(0);
    expect(ev.malformedReports).toHaveLength(ev.malformedVerdicts);
    const malformedOrders = ev.examples
      .flatMap((e) => [e.local, ...(e.lookahead?.perSuccessor ?? []), e.global])
      .flatMap((o) => o?.orders ?? [])
      .filter((o) => o.malformed);
    expect(malformedOrders).toHaveLength(ev.malformedVerdicts);
    for (const o of malformedOrders) expect([o.winner, o.candidateScore, o.attempts]).toEqual(["tie", 0.5, 2]);
    expect(Number.isFinite(ev.joint)).toBe(true);
  });

  it("costs zero new model calls when repeated through the LLM client's response cache", async () => {
    const service = createWorldService({ world });
    const endpoint = (id: string) => ({
      id,
      baseURL: "simlm://math-chain",
      model: "math-chain",
      price: { inputPerMTok: 1, outputPerMTok: 2 },
      concurrency: 8,
      timeoutMs: 30_000,
      maxRetries: 0,
    });
    const client = new LlmClient({ endpoints: [endpoint("serve"), endpoint("judge")], fetchFor: () => simFetch(service), env: {} });
    const calls = () => client.accounting.snapshot().rows.reduce((n, r) => n + r.calls, 0);
    const first = await evaluateCandidate(evalInput({ llm: client, minibatch: examples.slice(0, 4) }));
    const paid = calls();
    expect(paid).toBeGreaterThan(0);
    const again = await evaluateCandidate(evalInput({ llm: client, minibatch: examples.slice(0, 4) }));
    expect(calls()).toBe(paid);
    expect(again.calls.judge.cached).toBe(again.calls.judge.calls);
    expect(again.calls.serving.cached).toBe(again.calls.serving.calls);
    expect(again.reward).toBe(first.reward);
  });

  it("simlm's judge reads a question with the task description and the reason-first format as it read one without", async () => {
    const base = await executeGraph({
      graph,
      prompts: goodPrompts,
      example: examples[0] as Example,
      llm: simCaller(world),
      seed: 5,
      scoreFinal,
    });
    const other = await executeGraph({
      graph,
      prompts: { ...goodPrompts, planner: trapPlanner },
      example: examples[0] as Example,
      llm: simCaller(world),
      seed: 5,
      scoreFinal,
    });
    const taskDescription = { name: "arithmetic word problems", input: "A short word problem.", output: 'The final line "Answer: <n>".' };
    for (const lens of ["local", "lookahead", "global"] as const) {
      const id = lens === "local" ? "planner" : lens === "lookahead" ? "solver" : "formatter";
      const question = {
        lens,
        task: (examples[0] as Example).input,
        responseA: base.steps[id]?.output ?? "",
        responseB: other.steps[id]?.output ?? "",
        ...(lens !== "global" ? { roleInstruction: goodPrompts[id] ?? "" } : {}),
      };
      const read = (withDescription: boolean) =>
        readChatRequest(world, {
          model: "judge",
          // Spread: the request schema's messages are open records, ChatMessage is a closed interface.
          messages: buildJudgeMessages(withDescription ? { ...question, taskDescription } : question).map((m) => ({ ...m })),
        }).judge;
      const described = read(true);
      expect(described).toMatchObject({ lens, task: question.task, problemKnown: true });
      expect(described).toEqual(read(false));
    }
  });
});

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

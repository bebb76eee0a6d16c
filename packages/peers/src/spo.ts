/**
 * SPO (self-supervised prompt optimization; the MASPO paper's SPO baseline), label-free, on maspo's
 * machinery. The agents are taken in topological order, round after round; for each, 3 train
 * examples are drawn with their labels removed, the incumbent system is run on them, the optimizer
 * proposes a new prompt for the agent from the incumbent's outputs (its inputs, its output and the
 * system's final answer — no outcome, there is no label), and maspo's judge compares the system's
 * final answers under the new prompt and under the incumbent, pairwise in both orders (the global
 * lens, through the evaluator's task adapter). The new prompt replaces the incumbent's on a win.
 *
 * simlm's optimizer grounds a fix only in records marked as failing; with no labels SPO can mark
 * none, so in simlm every SPO proposal is an ungrounded edit filtered by the judge (a real optimizer
 * could sometimes spot a failure in an output alone).
 */
import { Rng, deriveSeed } from "@maspo/core";
import type { Example } from "@maspo/core";
import type { PeerMachinery } from "./machinery.js";
import { askOptimizer, optimizerMessages, stepRecord } from "./optimizer-request.js";
import type { SearchBudget } from "./search-budget.js";
import { stallGuard } from "./stall-guard.js";

export interface SpoOptions {
  /** Examples per comparison (SPO: 3). */
  samples?: number;
}

const JUDGE_ONLY_GLOBAL = { local: 0, lookahead: 0, global: 1 };

export async function spo(m: PeerMachinery, budget: SearchBudget, options: SpoOptions = {}): Promise<void> {
  const samples = Math.min(options.samples ?? 3, m.train.length);
  const rng = Rng.derive(m.seed, "spo");
  const order = m.graph.agents.map((a) => a.id);
  const incumbent: Record<string, string> = { ...m.initialPrompts };
  const unlabelled: Example[] = m.train.map((e) => ({ id: e.id, input: e.input }));
  const stalled = stallGuard(m.spent);
  budget.record(incumbent);

  for (let step = 0; !budget.exhausted() && !stalled(); step++) {
    const agentId = order[step % order.length] as string;
    const batch = rng.sample(unlabelled, samples);
    const traces = await Promise.all(batch.map((example) => m.workers.runGraph({ prompts: { ...incumbent }, example })));
    const agent = m.graph.agents.find((a) => a.id === agentId);
    const candidate = await askOptimizer({
      llm: m.llm,
      optimizer: m.optimizer,
      seed: deriveSeed(m.seed, "spo", step),
      messages: optimizerMessages({
        agentId,
        role: agent?.role ?? agentId,
        current: incumbent[agentId] as string,
        system: "There are no reference answers: judge the outputs on their own merits.",
        ask: "Study how the agent's outputs under the current prompt could be better, and propose an improved prompt for it.",
        evidenceHeading: "Examples (the agent's inputs and outputs under the current prompt)",
        records: traces.flatMap((t) => {
          const s = t.steps[agentId];
          if (!s) return [];
          const downstream = t.finalAgent === agentId ? "this output is the system's final answer" : `final answer: ${t.finalOutput}`;
          return [{ ...stepRecord(s), downstream, outcome: "unknown — no reference answer" }];
        }),
      }),
    });
    if (candidate === undefined || candidate === incumbent[agentId]) continue;
    const verdict = await m.workers.evaluate({
      agentId,
      candidate,
      reference: incumbent[agentId] as string,
      prompts: { ...incumbent },
      minibatch: batch,
      baseTraces: traces,
      weights: JUDGE_ONLY_GLOBAL,
      lookahead: false,
    });
    if (verdict.R > 0.5) {
      incumbent[agentId] = candidate;
      budget.record(incumbent);
    }
  }
}

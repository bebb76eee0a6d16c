/**
 * GEPA (gepa-ai/gepa `core/engine.py` with its default strategies, as dspy.GEPA runs it), on maspo's
 * machinery. Components are the agents' prompts; D_train is maspo's train pool and, with no separate
 * validation set, D_val too (the Pareto set); a rollout is one run of the graph on one example,
 * scored by the task metric. Each iteration: a merge first when one is due (either outcome ends the
 * iteration); else a parent from the Pareto fronts, a reflection minibatch of 3 (epoch-shuffled),
 * skipped when the parent aces it, the component(s) chosen (round robin, or every one), one
 * reflection call per component on its reflective dataset, the child tried on the same minibatch
 * and kept only on strict improvement — then scored on all of D_val, and a merge scheduled. The
 * answer is the candidate with the best mean validation score.
 *
 * The reflective dataset per component and example is that agent's call — its inputs (the task and
 * its predecessors' outputs), its generated output — and the feedback "This trajectory got a score
 * of X" (the task metric gives no feedback text), in simlm's optimizer layout (optimizer-request.ts).
 * GEPA's seed 0 becomes the run seed, so seeds 1–9 are nine different GEPA runs paired with MASPO's.
 */
import { Rng, deriveSeed } from "@maspo/core";
import type { Example, Trace } from "@maspo/core";
import { allPerfect, mergeAccepted, strictImprovement } from "./gepa-acceptance.js";
import { EpochShuffledBatches } from "./gepa-batches.js";
import { type ComponentSelector, allComponents, roundRobin } from "./gepa-components.js";
import { mergeSubsample, newMergeLedger, proposeMerge } from "./gepa-merge.js";
import { paretoFronts, removeDominated, selectParetoCandidate } from "./gepa-pareto.js";
import { type PeerMachinery, runAll, scoresOf } from "./machinery.js";
import { type EvidenceRecord, askOptimizer, optimizerMessages, stepRecord } from "./optimizer-request.js";
import type { PromptSet, SearchBudget } from "./search-budget.js";
import { stallGuard } from "./stall-guard.js";

export interface GepaOptions {
  /** `round_robin` (GEPA's default) or `all`. */
  components: "round_robin" | "all";
  /** Reflection minibatch size (default 3). */
  minibatch?: number;
  /** Merge on, as in dspy.GEPA (default true), at most this many merges (default 5). */
  useMerge?: boolean;
  maxMerges?: number;
}

interface Candidate {
  prompts: PromptSet;
  parents: number[];
  /** S[k][i]: the score on each D_val instance. */
  scores: number[];
  mean: number;
  /** The round-robin pointer. */
  pointer: number;
}

const SELECTORS: Record<GepaOptions["components"], ComponentSelector> = { round_robin: roundRobin, all: allComponents };

const ASK =
  "I gave an assistant (this agent) the instructions in the current prompt. Below are inputs it was given, its generated outputs, and feedback on each. " +
  "Read the inputs to infer the input format and the task in detail; read every output with its feedback, and write an improved instruction for the agent that keeps what worked and fixes what the feedback shows, " +
  "including any domain-specific facts it will need.";

export async function gepa(m: PeerMachinery, budget: SearchBudget, options: GepaOptions): Promise<void> {
  const rng = Rng.derive(m.seed, "gepa", options.components);
  const components = m.graph.agents.map((a) => a.id);
  const select = SELECTORS[options.components];
  const batchSize = options.minibatch ?? 3;
  const useMerge = options.useMerge ?? true;
  const maxMerges = options.maxMerges ?? 5;
  const val = m.train;
  const candidates: Candidate[] = [];

  const evaluate = (prompts: PromptSet, examples: readonly Example[]) => runAll(m.workers, prompts, examples);
  const add = async (prompts: PromptSet, parents: number[], pointer: number) => {
    const scores = scoresOf(await evaluate(prompts, val));
    candidates.push({ prompts, parents, scores, mean: mean(scores), pointer });
    budget.record(best().prompts);
  };
  const best = () => candidates.reduce((b, c) => (c.mean > b.mean ? c : b));
  const aggregate = () => candidates.map((c) => c.mean);
  const fronts = () => paretoFronts(candidates.map((c) => c.scores));

  budget.record(m.initialPrompts);
  await add(m.initialPrompts, [], 0);
  const batches = new EpochShuffledBatches(batchSize, val.length, rng);
  const merge = { due: 0, tested: 0, lastIterationFoundNew: false, ledger: newMergeLedger() };
  const stalled = stallGuard(m.spent);

  for (let iteration = 0; !budget.exhausted() && !stalled(); iteration++) {
    if (useMerge && merge.due > 0 && merge.lastIterationFoundNew) {
      merge.lastIterationFoundNew = false;
      const proposal = proposeMerge(rng, {
        candidates: removeDominated(fronts(), aggregate()).survivors,
        parents: candidates.map((c) => c.parents),
        aggregate: aggregate(),
        programs: candidates.map((c) => c.prompts),
        ledger: merge.ledger,
      });
      if (proposal) {
        const ci = candidates[proposal.i] as Candidate;
        const cj = candidates[proposal.j] as Candidate;
        const ids = mergeSubsample(rng, ci.scores, cj.scores);
        const merged = scoresOf(
          await evaluate(
            proposal.prompts,
            ids.map((k) => val[k] as Example),
          ),
        );
        const parentSums = [ci, cj].map((c) => ids.reduce((s, k) => s + (c.scores[k] ?? 0), 0));
        if (mergeAccepted(merged, parentSums)) {
          await add(proposal.prompts, [proposal.i, proposal.j], Math.max(ci.pointer, cj.pointer));
          merge.due--;
          merge.tested++;
        }
        continue;
      }
    }
    merge.lastIterationFoundNew = false;

    const parentIndex = selectParetoCandidate(fronts(), aggregate(), rng);
    const parent = candidates[parentIndex] as Candidate;
    const batch = batches.next(iteration).map((k) => val[k] as Example);
    const parentTraces = await evaluate(parent.prompts, batch);
    const parentScores = scoresOf(parentTraces);
    if (allPerfect(parentScores)) continue;

    const choice = select(parent.pointer, components);
    parent.pointer = choice.pointer;
    const child: Record<string, string> = { ...parent.prompts };
    let changed = false;
    for (const component of choice.chosen) {
      const text = await reflect(
        m,
        component,
        parent.prompts[component] as string,
        parentTraces,
        deriveSeed(m.seed, "gepa", options.components, iteration, component),
      );
      if (text !== undefined && text !== child[component]) {
        child[component] = text;
        changed = true;
      }
    }
    if (!changed) continue;

    const childScores = scoresOf(await evaluate(child, batch));
    if (!strictImprovement(parentScores, childScores)) continue;
    await add(child, [parentIndex], parent.pointer);
    merge.lastIterationFoundNew = true;
    if (useMerge && merge.tested < maxMerges) merge.due++;
  }
}

/** One reflection call for `component` on its reflective dataset from the parent's minibatch traces. */
function reflect(
  m: PeerMachinery,
  component: string,
  current: string,
  traces: readonly Trace[],
  seed: number,
): Promise<string | undefined> {
  const records = traces.flatMap((t): EvidenceRecord[] => {
    const step = t.steps[component];
    if (!step) return [];
    const score = t.finalScore ?? 0;
    const feedback =
      step.status !== "ok"
        ? `failure — the agent's output could not be used (${step.status}). This trajectory got a score of ${score}.`
        : `${score >= 1 ? "success" : "failure"} — This trajectory got a score of ${score}.`;
    return [{ ...stepRecord(step), outcome: feedback }];
  });
  const agent = m.graph.agents.find((a) => a.id === component);
  return askOptimizer({
    llm: m.llm,
    optimizer: m.optimizer,
    seed,
    messages: optimizerMessages({
      agentId: component,
      role: agent?.role ?? component,
      current,
      system: "You read an agent's inputs, outputs and the feedback they got, and write a better instruction for it.",
      ask: ASK,
      evidenceHeading: "Examples (the agent's inputs, its outputs, and feedback)",
      records,
    }),
  });
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

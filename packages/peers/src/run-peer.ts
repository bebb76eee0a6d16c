/**
 * The peers by name, and one peer run: maspo's machinery opened for the spec, the peer searching
 * until its budget of calls is spent, then — search over, the meter stopped — its answer within the
 * budget and its anytime points run on the held-out split, as maspo's finish runs it.
 */
import type { RunSpec } from "@maspo/core";
import { type AnytimePoint, BUDGET_POINTS, anytimeCurve } from "./anytime.js";
import type { Spend } from "./call-meter.js";
import { gepa } from "./gepa.js";
import { type PeerMachinery, openMachinery } from "./machinery.js";
import { mipro } from "./mipro.js";
import { randomSearch } from "./random-search.js";
import { type PromptSet, SearchBudget, bestWithin } from "./search-budget.js";
import { spo } from "./spo.js";

export interface PeerDefinition {
  describe: string;
  search(m: PeerMachinery, budget: SearchBudget): Promise<void>;
}

export const PEERS = {
  gepa: {
    describe: "GEPA with its defaults: round-robin component, reflection minibatch 3, Pareto parents, strict acceptance, merge",
    search: (m, b) => gepa(m, b, { components: "round_robin" }),
  },
  "gepa-all": {
    describe: "GEPA proposing every component each iteration (otherwise as gepa)",
    search: (m, b) => gepa(m, b, { components: "all" }),
  },
  mipro: {
    describe: "MIPRO-style: 12 instructions per agent proposed up front, categorical TPE over their combinations",
    search: (m, b) => mipro(m, b),
  },
  spo: { describe: "SPO: label-free, per agent in topological order, judged pairwise against the incumbent", search: (m, b) => spo(m, b) },
  random: { describe: "random search: uniform (agent, operator) proposals from the incumbent, best by train metric", search: randomSearch },
} satisfies Record<string, PeerDefinition>;

export type PeerName = keyof typeof PEERS;

export const PEER_NAMES = Object.keys(PEERS) as PeerName[];

export interface PeerRunInput {
  peer: PeerName;
  spec: RunSpec;
  specDir: string;
  env: Record<string, string | undefined>;
  /** Calls the peer may send during search. */
  budget: number;
  /** Budget points of the anytime curve (default BUDGET_POINTS). */
  points?: readonly number[];
}

export interface PeerRunResult {
  peer: PeerName;
  budget: number;
  /** What the search sent, the iteration that crossed the budget included. */
  spent: Spend;
  stopReason: "budget" | "stalled";
  /** The answer: the best-so-far set within the budget, and the spend when it was reached. */
  finalPrompts: PromptSet;
  finalReachedAt: number;
  heldOut: { baseline: number; final: number; examples: number };
  anytime: AnytimePoint[];
  /** Every best-so-far change: calls and tokens spent then. */
  trajectory: { calls: number; tokens: number }[];
}

export async function runPeer(input: PeerRunInput): Promise<PeerRunResult> {
  const machinery = await openMachinery({ spec: input.spec, specDir: input.specDir, env: input.env });
  try {
    const budget = new SearchBudget(input.budget, machinery.spent);
    await PEERS[input.peer].search(machinery, budget);
    machinery.endSearch();
    const spent = machinery.spent();
    const final = bestWithin(budget.snapshots, input.budget);
    const [baseline, finalScore] = [await machinery.heldOutScore(machinery.initialPrompts), await machinery.heldOutScore(final.prompts)];
    const anytime = await anytimeCurve(budget.snapshots, input.points ?? BUDGET_POINTS, machinery.heldOutScore);
    return {
      peer: input.peer,
      budget: input.budget,
      spent,
      stopReason: budget.exhausted() ? "budget" : "stalled",
      finalPrompts: final.prompts,
      finalReachedAt: final.calls,
      heldOut: { baseline, final: finalScore, examples: machinery.heldOut.length },
      anytime,
      trajectory: budget.snapshots.map((s) => ({ calls: s.calls, tokens: s.tokens })),
    };
  } finally {
    await machinery.close();
  }
}

/**
 * A MIPRO-style instruction search (dspy MIPROv2 without demos; the MASPO paper's TPE baseline), on
 * maspo's machinery. Stage 1: the initial system is run on the train pool, and M − 1 instructions
 * per agent are proposed up front, each from a random set of 3 of those traces (the agent's inputs
 * and output, and whether the system's final answer was right) and one of a few proposal tips; the
 * initial instruction is the M-th choice. Stage 2: a categorical TPE over the product of per-agent
 * choices (γ = 0.25), each trial scored on a fresh minibatch of 35 train examples; every 5 trials the
 * combination with the best mean minibatch score, if not yet fully evaluated, is scored on the whole
 * train pool (MIPRO's validation set here: the held-out split is never touched). The answer is the
 * best fully evaluated combination.
 *
 * MIPROv2's own proposer shows passing ("bootstrapped") demos and a dataset summary; the evidence
 * here is the initial system's traces with their outcome, as the peers brief describes the baseline.
 */
import { Rng, deriveSeed } from "@maspo/core";
import type { Trace } from "@maspo/core";
import { type PeerMachinery, runAll, scoresOf } from "./machinery.js";
import { askOptimizer, optimizerMessages, stepRecord } from "./optimizer-request.js";
import type { SearchBudget } from "./search-budget.js";
import { stallGuard } from "./stall-guard.js";
import { CategoricalTpe } from "./tpe.js";

export interface MiproOptions {
  /** Instruction choices per agent, the initial one included (MIPROv2 auto "medium": 12). */
  candidatesPerAgent?: number;
  /** Trial minibatch (MIPROv2: 35). */
  minibatch?: number;
  /** Full evaluation every this many trials (MIPROv2: 5). */
  fullEvalEvery?: number;
  /** Traces shown per proposal. */
  demos?: number;
}

/** Proposal tips, one per proposal in turn (MIPROv2 draws one at random from a list like this). */
const TIPS = [
  "",
  "Be creative.",
  "Keep the instruction short and clear.",
  "Make the instruction detailed and descriptive.",
  "Give the agent a persona that fits its role.",
  "Stress that getting this right matters.",
];

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

export async function mipro(m: PeerMachinery, budget: SearchBudget, options: MiproOptions = {}): Promise<void> {
  const M = options.candidatesPerAgent ?? 12;
  const minibatch = Math.min(options.minibatch ?? 35, m.train.length);
  const every = options.fullEvalEvery ?? 5;
  const demos = options.demos ?? 3;
  const rng = Rng.derive(m.seed, "mipro");
  const agents = m.graph.agents.map((a) => a.id);

  budget.record(m.initialPrompts);
  const initialTraces = await runAll(m.workers, m.initialPrompts, m.train);
  const choices: string[][] = agents.map((id) => [m.initialPrompts[id] as string]);
  for (const [p, agentId] of agents.entries()) {
    for (let k = 1; k < M && !budget.exhausted(); k++) {
      const text = await propose(
        m,
        agentId,
        rng.sample(initialTraces, demos),
        TIPS[k % TIPS.length] as string,
        deriveSeed(m.seed, "mipro", agentId, k),
      );
      const own = choices[p] as string[];
      if (text !== undefined && !own.includes(text)) own.push(text);
    }
  }

  const promptsOf = (combo: readonly number[]) =>
    Object.fromEntries(agents.map((id, p) => [id, (choices[p] as string[])[combo[p] ?? 0] as string]));
  const key = (combo: readonly number[]) => combo.join(",");
  const stats = new Map<string, { combo: number[]; scores: number[]; full?: number }>();
  const initial = agents.map(() => 0);
  stats.set(key(initial), { combo: initial, scores: [], full: mean(scoresOf(initialTraces)) });
  let best = { combo: initial, score: mean(scoresOf(initialTraces)) };
  const tpe = new CategoricalTpe(
    choices.map((c) => c.length),
    rng,
  );
  const stalled = stallGuard(m.spent);

  for (let trial = 1; !budget.exhausted() && !stalled(); trial++) {
    const combo = tpe.suggest();
    const batch = rng.sample(m.train, minibatch);
    const score = mean(scoresOf(await runAll(m.workers, promptsOf(combo), batch)));
    tpe.observe(combo, score);
    const entry = stats.get(key(combo)) ?? { combo, scores: [] };
    entry.scores.push(score);
    stats.set(key(combo), entry);
    if (trial % every !== 0) continue;
    // The best combination by mean minibatch score (the first such on a tie) gets its full evaluation.
    const leader = [...stats.values()].filter((s) => s.scores.length > 0).reduce((a, b) => (mean(b.scores) > mean(a.scores) ? b : a));
    if (leader.full !== undefined) continue;
    leader.full = mean(scoresOf(await runAll(m.workers, promptsOf(leader.combo), m.train)));
    if (leader.full > best.score) {
      best = { combo: leader.combo, score: leader.full };
      budget.record(promptsOf(best.combo));
    }
  }
}

function propose(m: PeerMachinery, agentId: string, traces: readonly Trace[], tip: string, seed: number): Promise<string | undefined> {
  const agent = m.graph.agents.find((a) => a.id === agentId);
  const records = traces.flatMap((t) => {
    const step = t.steps[agentId];
    if (!step) return [];
    const right = (t.finalScore ?? 0) >= 1;
    return [
      {
        ...stepRecord(step),
        outcome: right ? "success — the system's final answer was right" : "failure — the system's final answer was wrong",
      },
    ];
  });
  return askOptimizer({
    llm: m.llm,
    optimizer: m.optimizer,
    seed,
    messages: optimizerMessages({
      agentId,
      role: agent?.role ?? agentId,
      current: m.initialPrompts[agentId] as string,
      system: "You propose candidate instructions for an agent, to be searched over in combination with the other agents' instructions.",
      ask: `Propose an improved instruction for this agent, grounded in these examples of the current system's behaviour.${tip ? ` Tip: ${tip}` : ""}`,
      evidenceHeading: "Examples (the agent's inputs and outputs in the current system)",
      records,
    }),
  });
}

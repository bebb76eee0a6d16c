/**
 * The oracle: the expected held-out score of any directive assignment, computed exactly from the
 * agent model (roles/agent-model.ts) rather than sampled, and the best assignment found by enumerating
 * every directive subset of every agent. Floor = the initial prompts, ceiling = the best set.
 * Scores are fractions in [0, 1].
 */
import { MaspoError, renderAgentPrompt } from "@maspo/core";
import { carriesContent, outputFeatures, recoverProbability, sigmoid, successLogit } from "../roles/agent-model.js";
import { compileWorld, type CompiledWorld } from "../world/compiled-world.js";
import { generateDataset, scoreWorldFinal, type WorldExample } from "../world/dataset.js";
import { renderFeature } from "../reading/output-reading.js";
import { recogniseProblem, renderFacts } from "../world/problem.js";
import { addDirective, removeDirective } from "../roles/prompt-edit.js";
import { detectDirectives } from "../reading/prompt-reading.js";
import type { World, WorldAgent } from "../world/world-schema.js";

/** Directive ids per agent id. */
export type DirectiveAssignment = Readonly<Record<string, ReadonlySet<string>>>;

export class OracleError extends MaspoError<"E_ORACLE"> {
  constructor(message: string) {
    super("E_ORACLE", message);
  }
}

export interface OracleResult {
  /** Expected held-out score of the initial prompts, a fraction in [0, 1]. */
  floor: number;
  /** Expected held-out score of the best directive set, a fraction in [0, 1]. */
  ceiling: number;
  /** The best prompt per agent. */
  best: Record<string, string>;
  /** The initial prompt per agent. */
  initial: Record<string, string>;
  bestDirectives: Record<string, string[]>;
  initialDirectives: Record<string, string[]>;
  /** Per agent: the best score reachable by changing that agent's directives alone. */
  singleAgentBest: Record<string, number>;
  heldOutSize: number;
}

interface Variant {
  directives: Set<string>;
  features: string[];
  featureSet: Set<string>;
  carrying: boolean;
  recover: number;
}

interface Group {
  difficulty: number;
  examples: WorldExample[];
  weight: number;
}

/** Everything that does not depend on the assignment, computed once. */
class Evaluator {
  readonly variants: Map<string, Variant[]>;
  readonly groups: Group[];
  private readonly passCache = new Map<string, number[]>();

  constructor(
    readonly cw: CompiledWorld,
    examples: readonly WorldExample[],
  ) {
    this.variants = new Map(cw.world.agents.map((a) => [a.id, subsets(a).map((s) => this.variant(a, s))]));
    const byTemplate = new Map<string, Group>();
    for (const e of examples) {
      const problem = recogniseProblem(cw.templates, e.input);
      if (!problem) throw new OracleError(`Example ${e.id} matches no template of world ${cw.world.name}.`);
      const key = problem.template.template.id;
      const g = byTemplate.get(key) ?? { difficulty: problem.template.template.difficulty, examples: [], weight: 0 };
      g.examples.push(e);
      byTemplate.set(key, g);
    }
    this.groups = [...byTemplate.values()];
    for (const g of this.groups) g.weight = g.examples.length / Math.max(1, examples.length);
  }

  variant(agent: WorldAgent, directives: Set<string>): Variant {
    const features = outputFeatures(this.cw, agent, directives);
    return {
      directives,
      features,
      featureSet: new Set(features),
      carrying: carriesContent(this.cw, features),
      recover: recoverProbability(agent, directives),
    };
  }

  /** Per group: the share of its examples whose final output, when right, passes the metric. */
  passRates(finalVariant: Variant): number[] {
    const key = finalVariant.features.join(",");
    const hit = this.passCache.get(key);
    if (hit) return hit;
    const rates = this.groups.map((g) => {
      let pass = 0;
      for (const e of g.examples) {
        const problem = recogniseProblem(this.cw.templates, e.input);
        if (!problem) continue;
        const facts = renderFacts(problem.template, problem.vars);
        const text = finalVariant.features.map((f) => renderFeature(this.cw, f, facts, problem.answer)).join("\n");
        pass += scoreWorldFinal(this.cw.world, e, text);
      }
      return pass / Math.max(1, g.examples.length);
    });
    this.passCache.set(key, rates);
    return rates;
  }

  /** Expected score of one variant per agent (in cw.topo order). */
  score(chosen: readonly Variant[]): number {
    const topo = this.cw.topo;
    const index = new Map(topo.map((id, i) => [id, i]));
    const agents = topo.map((id) => this.cw.agents.get(id) as WorldAgent);
    const preds = agents.map((a) => a.predecessors.map((p) => index.get(p) ?? -1));
    const upFeatures = preds.map((ps) => {
      const s = new Set<string>();
      for (const p of ps) for (const f of chosen[p]?.features ?? []) s.add(f);
      return s;
    });
    const finalIndex = index.get(this.cw.world.final) ?? topo.length - 1;
    const finalVariant = chosen[finalIndex];
    if (!finalVariant) return 0;
    const pass = this.passRates(finalVariant);
    let total = 0;
    this.groups.forEach((g, gi) => {
      const own = agents.map((a, i) =>
        sigmoid(successLogit(a, chosen[i]?.directives ?? new Set(), upFeatures[i] ?? new Set(), g.difficulty)),
      );
      const ok: boolean[] = [];
      const walk = (k: number, prob: number): number => {
        if (prob === 0) return 0;
        if (k === agents.length) return ok[finalIndex] ? prob : 0;
        const upRight = (preds[k] ?? []).every((p) => ok[p] === true || chosen[p]?.carrying !== true);
        const p = (own[k] ?? 0) * (upRight ? 1 : (chosen[k]?.recover ?? 0));
        ok[k] = true;
        const right = walk(k + 1, prob * p);
        ok[k] = false;
        const wrong = walk(k + 1, prob * (1 - p));
        return right + wrong;
      };
      total += g.weight * walk(0, 1) * (pass[gi] ?? 0);
    });
    return total;
  }
}

function subsets(agent: WorldAgent): Set<string>[] {
  const ids = agent.directives.map((d) => d.id);
  const out: Set<string>[] = [];
  for (let mask = 0; mask < 1 << ids.length; mask++) out.push(new Set(ids.filter((_, i) => (mask & (1 << i)) !== 0)));
  return out;
}

/** The directives each agent's initial prompt carries. */
export function initialDirectives(world: World): Record<string, Set<string>> {
  return Object.fromEntries(world.agents.map((a) => [a.id, detectDirectives(a, renderAgentPrompt(a.prompt))]));
}

/** The agent's initial prompt edited to carry exactly these directives. */
export function promptForDirectives(world: World, agentId: string, directives: ReadonlySet<string>): string {
  const agent = world.agents.find((a) => a.id === agentId);
  if (!agent) throw new OracleError(`World ${world.name} has no agent "${agentId}".`);
  let prompt = renderAgentPrompt(agent.prompt);
  const present = detectDirectives(agent, prompt);
  for (const d of agent.directives) if (present.has(d.id) && !directives.has(d.id)) prompt = removeDirective(prompt, d);
  for (const d of agent.directives) if (!present.has(d.id) && directives.has(d.id)) prompt = addDirective(prompt, d);
  const got = detectDirectives(agent, prompt);
  const same = got.size === directives.size && [...directives].every((d) => got.has(d));
  if (!same) {
    throw new OracleError(
      `World ${world.name}, agent ${agentId}: editing the prompt to carry {${[...directives].join(", ")}} gave {${[...got].join(", ")}}; the directives' phrases overlap the prompt's sentences.`,
    );
  }
  return prompt;
}

function chooseVariants(ev: Evaluator, assignment: DirectiveAssignment): Variant[] {
  return ev.cw.topo.map((id) => {
    const agent = ev.cw.agents.get(id) as WorldAgent;
    return ev.variant(agent, new Set(assignment[id] ?? []));
  });
}

/** The expected final score of a directive assignment over examples (default: the held-out split). */
export function expectedScore(world: World, assignment: DirectiveAssignment, examples?: readonly WorldExample[]): number {
  const ev = new Evaluator(compileWorld(world), examples ?? generateDataset(world).heldOut);
  return ev.score(chooseVariants(ev, assignment));
}

export function oracle(world: World): OracleResult {
  const cw = compileWorld(world);
  const heldOut = generateDataset(world).heldOut;
  const ev = new Evaluator(cw, heldOut);
  const init = initialDirectives(world);
  const initialVariants = chooseVariants(ev, init);
  const floor = ev.score(initialVariants);

  const lists = cw.topo.map((id) => ev.variants.get(id) ?? []);
  const counter = lists.map(() => 0);
  let best = { score: -1, size: Infinity, choice: initialVariants };
  for (;;) {
    const choice = lists.map((l, i) => l[counter[i] ?? 0] as Variant);
    const score = ev.score(choice);
    const size = choice.reduce((s, v) => s + v.directives.size, 0);
    if (score > best.score + 1e-12 || (Math.abs(score - best.score) <= 1e-12 && size < best.size)) best = { score, size, choice };
    let k = 0;
    while (k < lists.length && (counter[k] = (counter[k] ?? 0) + 1) >= (lists[k]?.length ?? 0)) counter[k++] = 0;
    if (k === lists.length) break;
  }

  const singleAgentBest: Record<string, number> = {};
  cw.topo.forEach((id, i) => {
    let top = 0;
    for (const v of lists[i] ?? []) top = Math.max(top, ev.score(initialVariants.map((x, j) => (j === i ? v : x))));
    singleAgentBest[id] = top;
  });

  const bestPrompts: Record<string, string> = {};
  const initialPrompts: Record<string, string> = {};
  const bestDirectives: Record<string, string[]> = {};
  const initialDirectiveLists: Record<string, string[]> = {};
  cw.topo.forEach((id, i) => {
    const agent = cw.agents.get(id) as WorldAgent;
    const chosen = best.choice[i]?.directives ?? new Set<string>();
    bestPrompts[id] = promptForDirectives(world, id, chosen);
    initialPrompts[id] = renderAgentPrompt(agent.prompt);
    bestDirectives[id] = agent.directives.map((d) => d.id).filter((d) => chosen.has(d));
    initialDirectiveLists[id] = agent.directives.map((d) => d.id).filter((d) => init[id]?.has(d));
  });
  return {
    floor,
    ceiling: best.score,
    best: bestPrompts,
    initial: initialPrompts,
    bestDirectives,
    initialDirectives: initialDirectiveLists,
    singleAgentBest,
    heldOutSize: heldOut.length,
  };
}

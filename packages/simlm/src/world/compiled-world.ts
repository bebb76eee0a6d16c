/**
 * A validated world prepared for simulation: parsed templates and feature texts, feature markers,
 * the agents in topological order. Compiled once per World object and memoised, so the pure
 * simulation functions can take the plain World and stay cheap to call.
 */
import { parseTemplate, type TemplatePart } from "./expression.js";
import { compileTemplate, type CompiledTemplate } from "./problem.js";
import type { Feature, World, WorldAgent } from "./world-schema.js";

export interface CompiledFeature {
  id: string;
  feature: Feature;
  parts: TemplatePart[];
  /** The literal text before the first slot: how the feature is spotted in an output. */
  marker: string;
  /** Rendered from the problem (has slots), so a wrong agent's version differs from the truth. */
  carrying: boolean;
}

export interface CompiledWorld {
  world: World;
  templates: CompiledTemplate[];
  features: Map<string, CompiledFeature>;
  /** Feature ids in declaration order: the order they appear in an output. */
  featureOrder: string[];
  agents: Map<string, WorldAgent>;
  /** Agent ids, every agent after its predecessors. */
  topo: string[];
  successors: Map<string, string[]>;
  metric: RegExp;
}

export function featureMarker(parts: readonly TemplatePart[]): string {
  const first = parts[0];
  if (!first || first.kind !== "text") return "";
  return first.text.trim();
}

/** Agents after their predecessors; undefined when the graph has a cycle or an unknown predecessor. */
export function topologicalOrder(agents: readonly WorldAgent[]): string[] | undefined {
  const ids = new Set(agents.map((a) => a.id));
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < agents.length) {
    const next = agents.find((a) => !done.has(a.id) && a.predecessors.every((p) => ids.has(p) && done.has(p)));
    if (!next) return undefined;
    done.add(next.id);
    order.push(next.id);
  }
  return order;
}

const cache = new WeakMap<World, CompiledWorld>();

/** The compiled form of a world that passed validation (loadWorld / validateWorld). */
export function compileWorld(world: World): CompiledWorld {
  const hit = cache.get(world);
  if (hit) return hit;
  const features = new Map<string, CompiledFeature>();
  for (const [id, feature] of Object.entries(world.features)) {
    const parts = parseTemplate(feature.text);
    features.set(id, {
      id,
      feature,
      parts,
      marker: featureMarker(parts) || feature.text.trim(),
      carrying: parts.some((p) => p.kind === "slot"),
    });
  }
  const successors = new Map<string, string[]>(world.agents.map((a) => [a.id, []]));
  for (const a of world.agents) for (const p of a.predecessors) successors.get(p)?.push(a.id);
  const compiled: CompiledWorld = {
    world,
    templates: world.data.templates.map(compileTemplate),
    features,
    featureOrder: Object.keys(world.features),
    agents: new Map(world.agents.map((a) => [a.id, a])),
    topo: topologicalOrder(world.agents) ?? world.agents.map((a) => a.id),
    successors,
    metric: new RegExp(world.metric.extract, "m"),
  };
  cache.set(world, compiled);
  return compiled;
}

/**
 * A world's data: train and held-out examples generated from its templates with a seed, and the
 * final metric that scores a final output against an example's label.
 */
import { type Example, Rng } from "@maspo/core";
import { compileWorld } from "./compiled-world.js";
import { generateProblem } from "./problem.js";
import type { World } from "./world-schema.js";

/** maspo's example, always labelled: a world knows the answer to every problem it generates. */
export type WorldExample = Example & { label: string };

export interface Dataset {
  train: WorldExample[];
  heldOut: WorldExample[];
}

function generateSplit(world: World, seed: number, split: "train" | "heldout", size: number): WorldExample[] {
  const cw = compileWorld(world);
  const rng = Rng.derive(seed, world.name, split);
  const totalWeight = cw.templates.reduce((s, t) => s + t.template.weight, 0);
  const out: WorldExample[] = [];
  for (let i = 0; i < size; i++) {
    let roll = rng.next() * totalWeight;
    const template = cw.templates.find((t) => (roll -= t.template.weight) < 0) ?? cw.templates[cw.templates.length - 1];
    if (!template) break;
    const { problem, text } = generateProblem(template, rng);
    out.push({ id: `${world.name}-${split}-${String(i).padStart(4, "0")}`, input: text, label: problem.answer });
  }
  return out;
}

/** The world's examples; `seed` overrides the world's data seed (the split sizes stay the world's). */
export function generateDataset(world: World, options: { seed?: number } = {}): Dataset {
  const seed = options.seed ?? world.data.seed;
  return {
    train: generateSplit(world, seed, "train", world.data.train),
    heldOut: generateSplit(world, seed, "heldout", world.data.heldOut),
  };
}

/** The value the world's metric reads from a final output, or undefined when it finds none. */
export function extractFinalAnswer(world: World, finalOutput: string): string | undefined {
  const m = compileWorld(world).metric.exec(finalOutput);
  return m?.[1]?.trim();
}

/** 1 when the final output's extracted answer equals the example's label, else 0. */
export function scoreWorldFinal(world: World, example: Pick<WorldExample, "label">, finalOutput: string): 0 | 1 {
  return extractFinalAnswer(world, finalOutput) === example.label.trim() ? 1 : 0;
}

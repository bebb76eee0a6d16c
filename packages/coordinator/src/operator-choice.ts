/**
 * Which mutation operator makes each child (workflow step 4b, "a hybrid batch of random operators
 * and hard negatives from ℬ_mis"). In a round, each child is driven by the buffer's hard negatives
 * (`add_negative`) with probability ½ when there are any, and otherwise by a random other operator.
 * At beam initialisation the buffer is empty, so the K−1 first mutations rotate through the other
 * operators from a random offset: different operators, not K−1 draws of the same one.
 * Every choice comes from the step's seeded Rng, in a fixed order, so a run replays exactly.
 */
import type { Rng } from "@maspo/core";
import type { BeamMember } from "./beam.js";
import type { HardNegative } from "@maspo/core";

const ADD_NEGATIVE = "add_negative";

/** The operators for beam initialisation's `count` mutations: a rotation over the non-negative operators from one random offset. */
export function initOperators(operators: readonly string[], rng: Rng, count: number): string[] {
  const ops = operators.filter((o) => o !== ADD_NEGATIVE);
  const usable = ops.length > 0 ? ops : operators;
  // Drawn even when no mutation is asked for, so the rng's sequence does not depend on K.
  const offset = rng.int(usable.length);
  return Array.from({ length: Math.max(0, count) }, (_, i) => usable[(offset + i) % usable.length] as string);
}

/** One child's operator in a round's hybrid batch. */
export function chooseOperator(operators: readonly string[], hasHardNegatives: boolean, rng: Rng): string {
  // The coin is tossed only when a hard negative could be used at all, as the rng sequence has always been.
  const useNegative = hasHardNegatives && operators.includes(ADD_NEGATIVE) && rng.bool(0.5);
  const others = operators.filter((o) => o !== ADD_NEGATIVE);
  return useNegative ? ADD_NEGATIVE : others.length > 0 ? rng.pick(others) : ADD_NEGATIVE;
}

/** One mutation to ask for: a child of `parent` (the `parentIndex`-th beam member) by `operator`. */
export interface MutationJob {
  parent: BeamMember;
  parentIndex: number;
  operator: string;
  /** The hard negatives shown to the optimizer: only for `add_negative`. */
  negatives: HardNegative[];
  seed: number;
}

/** The hybrid batch: `childrenPerParent` jobs per parent, parents in beam order. */
export function hybridBatch(
  parents: readonly BeamMember[],
  childrenPerParent: number,
  operators: readonly string[],
  hardNegatives: HardNegative[],
  rng: Rng,
  seedFor: (parentIndex: number, child: number) => number,
): MutationJob[] {
  const jobs: MutationJob[] = [];
  parents.forEach((parent, parentIndex) => {
    for (let c = 0; c < childrenPerParent; c++) {
      const operator = chooseOperator(operators, hardNegatives.length > 0, rng);
      jobs.push({
        parent,
        parentIndex,
        operator,
        negatives: operator === ADD_NEGATIVE ? hardNegatives : [],
        seed: seedFor(parentIndex, c),
      });
    }
  });
  return jobs;
}

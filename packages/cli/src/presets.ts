/**
 * Named settings a run can opt into. `paper` reproduces the MASPO paper's experimental setting; the
 * method's own defaults stay the defaults of the spec.
 */
import type { RunSpec } from "@maspo/core";

export function applyPreset(spec: RunSpec, preset: "paper"): RunSpec {
  switch (preset) {
    case "paper": {
      return {
        ...spec,
        weights: { local: 0.4, lookahead: 0.4, global: 0.2, reason: "paper preset: the paper's best weights in its sweep" },
        search: {
          ...spec.search,
          beamSize: 2,
          childrenPerParent: 2,
          stepsPerAgent: 3,
          rounds: 3,
          epochs: 1,
          minibatchSize: 10,
          trainPool: 50,
          reason:
            "paper preset: the MASPO paper's experimental setting (beam width 2, 2 children per parent, 3 steps per agent, 3 rounds, 1 epoch, a pool of 50, minibatches of 10)",
        },
        misalignment: { ...spec.misalignment, casesPerStep: 3 },
      };
    }
  }
}

/**
 * The run as a fixed list of steps: orientation, beam initialisation per agent, then for every
 * epoch and round each agent in Gauss-Seidel order (stepsPerAgent times) and a round end — the first
 * round led by orientation's frontier when it named one. A
 * checkpoint is "the index of the next step plus the state", which is what makes resume exact.
 */

export type Step =
  | { kind: "orientation" }
  | { kind: "init"; agent: string }
  | { kind: "agent"; epoch: number; round: number; agent: string; step: number }
  | { kind: "round-end"; epoch: number; round: number };

/**
 * `frontier` (orientation.ts): the agent that constrains the system starts the first round; the rest
 * of that round, and every later round, keep `order`. It is known only after the last init step, and
 * it moves no step before that, so a plan made before orientation finished has the same prefix.
 */
export function planSteps(
  order: readonly string[],
  epochs: number,
  rounds: number,
  stepsPerAgent: number,
  frontier: string | null = null,
): Step[] {
  const steps: Step[] = [{ kind: "orientation" }];
  for (const agent of order) steps.push({ kind: "init", agent });
  const firstRound = frontier !== null && order.includes(frontier) ? [frontier, ...order.filter((a) => a !== frontier)] : order;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (let round = 1; round <= rounds; round++) {
      const agents = epoch === 1 && round === 1 ? firstRound : order;
      for (const agent of agents)
        for (let step = 1; step <= stepsPerAgent; step++) steps.push({ kind: "agent", epoch, round, agent, step });
      steps.push({ kind: "round-end", epoch, round });
    }
  }
  return steps;
}

/** Round number counted over all epochs, 1-based; 0 for orientation and initialisation. */
export function globalRound(step: Step, roundsPerEpoch: number): number {
  if (step.kind === "agent" || step.kind === "round-end") return (step.epoch - 1) * roundsPerEpoch + step.round;
  return 0;
}

export function describeStep(step: Step): string {
  switch (step.kind) {
    case "orientation":
      return "orientation";
    case "init":
      return `init ${step.agent}`;
    case "agent":
      return `epoch ${step.epoch} round ${step.round} ${step.agent}${step.step > 1 ? ` step ${step.step}` : ""}`;
    case "round-end":
      return `epoch ${step.epoch} round ${step.round} end`;
  }
}

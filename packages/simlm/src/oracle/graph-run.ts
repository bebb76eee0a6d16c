/**
 * Running a world's agent graph on one example straight through simulateChat, with the agent-call
 * message layout of docs/llm-protocol.md. It is what the oracle's claims are checked against and
 * what tests use to score a prompt set end to end without the executor.
 */
import { buildAgentMessages, MaspoError } from "@maspo/core";
import { compileWorld } from "../world/compiled-world.js";
import { scoreWorldFinal, type WorldExample } from "../world/dataset.js";
import { simulateChat } from "../roles/simulate-chat.js";
import type { World } from "../world/world-schema.js";

export class MissingPromptError extends MaspoError<"E_MISSING_PROMPT"> {
  constructor(agentId: string) {
    super("E_MISSING_PROMPT", `No prompt for agent "${agentId}": pass one prompt text per agent of the world.`);
  }
}

export interface GraphRun {
  /** Each agent's output. */
  outputs: Record<string, string>;
  final: string;
  score: 0 | 1;
}

export function runGraphDirect(
  world: World,
  prompts: Readonly<Record<string, string>>,
  example: WorldExample,
  options: { seed?: number } = {},
): GraphRun {
  const cw = compileWorld(world);
  const outputs: Record<string, string> = {};
  for (const id of cw.topo) {
    const agent = cw.agents.get(id);
    const prompt = prompts[id];
    if (!agent) continue;
    if (prompt === undefined) throw new MissingPromptError(id);
    const upstream = agent.predecessors.map((p) => ({ agentId: p, output: outputs[p] ?? "" }));
    const result = simulateChat(world, {
      model: `simlm://${world.name}`,
      messages: buildAgentMessages(prompt, example.input, upstream).map((m) => ({ role: m.role, content: m.content })),
      temperature: 0,
      seed: options.seed ?? 0,
      n: 1,
    });
    outputs[id] = result.choices[0]?.content ?? "";
  }
  const final = outputs[world.final] ?? "";
  return { outputs, final, score: scoreWorldFinal(world, example, final) };
}

/** The mean final score of a prompt set over examples (a fraction in [0, 1]). */
export function scorePromptSet(
  world: World,
  prompts: Readonly<Record<string, string>>,
  examples: readonly WorldExample[],
  options: { seed?: number } = {},
): number {
  if (examples.length === 0) return 0;
  let sum = 0;
  for (const e of examples) sum += runGraphDirect(world, prompts, e, options).score;
  return sum / examples.length;
}

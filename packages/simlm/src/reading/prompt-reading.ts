/**
 * Reading an agent prompt the way a model would: which of the world's agents it asks for (its role
 * description — lose it and the agent is a generic assistant) and which directives its sentences carry.
 */
import type { CompiledWorld } from "../world/compiled-world.js";
import { normalize, phrasePosition, sentenceCarries, sentenceSpans } from "./phrase-match.js";
import type { WorldAgent } from "../world/world-schema.js";

/** The agent whose recognition phrase appears earliest in the prompt (the role sentence comes first). */
export function recogniseAgent(cw: CompiledWorld, promptText: string): WorldAgent | undefined {
  const text = normalize(promptText);
  let best: { agent: WorldAgent; at: number } | undefined;
  for (const agent of cw.world.agents) {
    for (const phrase of agent.recognize) {
      const at = phrasePosition(text, phrase);
      if (at >= 0 && (!best || at < best.at)) best = { agent, at };
    }
  }
  return best?.agent;
}

/** The ids of the agent's directives that some sentence of the prompt carries. */
export function detectDirectives(agent: WorldAgent, promptText: string): Set<string> {
  const sentences = sentenceSpans(promptText);
  const found = new Set<string>();
  for (const d of agent.directives) {
    if (sentences.some((s) => d.triggers.some((t) => sentenceCarries(s.text, t)))) found.add(d.id);
  }
  return found;
}

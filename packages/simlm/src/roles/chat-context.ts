/**
 * What one simulated completion is computed from: the world and the request's text, seed and
 * sample index — nothing else. Each role (agent, judge, optimizer, generic) answers from this.
 */
import { deriveSeed, Rng } from "@maspo/core";
import type { ChatTurn } from "../reading/agent-request.js";
import { messageText, type ChatRequest } from "../reading/chat-request.js";
import type { CompiledWorld } from "../world/compiled-world.js";

export interface ChatContext {
  cw: CompiledWorld;
  /** System and developer messages, joined. */
  system: string;
  /** User messages, joined. */
  user: string;
  /** Every message in order, as text (an agent call answers the last user turn; earlier ones are demos). */
  turns: readonly ChatTurn[];
  seed: number;
  /** Which of the request's `n` choices is being produced. */
  sample: number;
  jsonMode: boolean;
}

/** The context of one sample of a request: its messages as text, system and user turns joined. */
export function requestContext(cw: CompiledWorld, request: ChatRequest, sample: number): ChatContext {
  const turns = request.messages.map((m) => ({ role: m.role, text: messageText(m) }));
  const joined = (roles: readonly string[]) =>
    turns
      .filter((m) => roles.includes(m.role))
      .map((m) => m.text)
      .join("\n\n");
  return {
    cw,
    system: joined(["system", "developer"]),
    user: joined(["user"]),
    turns,
    seed: request.seed ?? 0,
    sample,
    jsonMode: request.response_format?.type === "json_object" || request.response_format?.type === "json_schema",
  };
}

/** A generator for one purpose within one completion, derived from everything the completion depends on. */
export function contextRng(ctx: ChatContext, purpose: string, ...labels: readonly (string | number)[]): Rng {
  return Rng.derive(ctx.seed, purpose, ctx.sample, ...labels);
}

/** A stable number for a text, to fold the whole request text into a seed. */
export function textDigest(text: string): number {
  return deriveSeed("text", text);
}

/** JSON as a model writes it: bare in JSON mode, in a json code fence when only the prompt asked for it. */
export function jsonReply(ctx: ChatContext, json: string): string {
  return ctx.jsonMode ? json : "```json\n" + json + "\n```";
}

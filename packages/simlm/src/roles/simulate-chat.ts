/**
 * simlm's one pure function: a chat request in, its completions out. Every choice depends only on
 * (world, request body, seed, sample index); the role answered is inferred from the message text
 * (judge prompt, optimizer meta-prompt, agent prompt, or nothing recognised: a generic assistant).
 */
import { requestContext, type ChatContext } from "./chat-context.js";
import { agentReply } from "./agent-role.js";
import type { ChatRequest } from "../reading/chat-request.js";
import { compileWorld } from "../world/compiled-world.js";
import { genericReply } from "./generic-role.js";
import { judgeReply } from "./judge-role.js";
import { optimizerReply } from "./optimizer-role.js";
import type { World } from "../world/world-schema.js";

export interface SimChoice {
  index: number;
  content: string;
  finishReason: "stop" | "length";
}

export interface SimUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface SimChatResult {
  choices: SimChoice[];
  usage: SimUsage;
}

/** Tokens of a text, as simlm counts them: a quarter of its characters, rounded up. */
export function countTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Per-message framing overhead, as real tokenizers add a few tokens per message. */
const MESSAGE_OVERHEAD = 3;

function reply(ctx: ChatContext): string {
  return judgeReply(ctx) ?? optimizerReply(ctx) ?? agentReply(ctx) ?? genericReply(ctx, false);
}

export function simulateChat(world: World, request: ChatRequest): SimChatResult {
  const cw = compileWorld(world);
  const limit = request.max_tokens ?? request.max_completion_tokens;
  const n = request.n ?? 1;
  const choices: SimChoice[] = [];
  let completionTokens = 0;
  const first = requestContext(cw, request, 0);
  for (let index = 0; index < n; index++) {
    let content = reply({ ...first, sample: index });
    let finishReason: SimChoice["finishReason"] = "stop";
    if (limit !== undefined && countTokens(content) > limit) {
      content = content.slice(0, limit * 4);
      finishReason = "length";
    }
    completionTokens += countTokens(content);
    choices.push({ index, content, finishReason });
  }
  const promptTokens = first.turns.reduce((sum, m) => sum + countTokens(m.text) + MESSAGE_OVERHEAD, 0);
  return {
    choices,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

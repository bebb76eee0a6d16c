/**
 * simlm's one pure function: a chat request in, its completions out. Every choice depends only on
 * (world, request body, seed, sample index); the role answered is inferred from the message text
 * (judge prompt, optimizer meta-prompt, agent prompt, or nothing recognised: a generic assistant).
 */
import type { ChatContext } from "./chat-context.js";
import { agentReply } from "./agent-role.js";
import { messageText, type ChatRequest } from "../reading/chat-request.js";
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
  const texts = request.messages.map((m) => ({ role: m.role, text: messageText(m) }));
  const system = texts
    .filter((m) => m.role === "system" || m.role === "developer")
    .map((m) => m.text)
    .join("\n\n");
  const user = texts
    .filter((m) => m.role === "user")
    .map((m) => m.text)
    .join("\n\n");
  const limit = request.max_tokens ?? request.max_completion_tokens;
  const n = request.n ?? 1;
  const choices: SimChoice[] = [];
  let completionTokens = 0;
  for (let index = 0; index < n; index++) {
    const ctx: ChatContext = {
      cw,
      system,
      user,
      turns: texts,
      seed: request.seed ?? 0,
      sample: index,
      jsonMode: request.response_format?.type === "json_object" || request.response_format?.type === "json_schema",
    };
    let content = reply(ctx);
    let finishReason: SimChoice["finishReason"] = "stop";
    if (limit !== undefined && countTokens(content) > limit) {
      content = content.slice(0, limit * 4);
      finishReason = "length";
    }
    completionTokens += countTokens(content);
    choices.push({ index, content, finishReason });
  }
  const promptTokens = texts.reduce((sum, m) => sum + countTokens(m.text) + MESSAGE_OVERHEAD, 0);
  return {
    choices,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

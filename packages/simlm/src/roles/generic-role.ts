/**
 * The untrained generic assistant: what simlm answers when it recognises no role in the prompt, or
 * no problem it knows in the task. Its replies carry none of the world's features, so a successor
 * or a metric gets nothing usable from them.
 */
import { contextRng, textDigest, type ChatContext } from "./chat-context.js";

const REPLIES = [
  "Sure, I can help with that. Reading the task carefully, the answer follows from the information given; let me know if you want more detail.",
  "Happy to help! This looks like a question that needs a careful reading. I would approach it step by step and check the result at the end.",
  "Here is my take: the task asks for a result based on the details provided. I have considered them and believe the outcome is straightforward.",
];

export function genericReply(ctx: ChatContext, taskKnown: boolean): string {
  if (!taskKnown && ctx.system.trim().length === 0) {
    return `Hello! This is simlm, a simulated language model serving the world "${ctx.cw.world.name}". It answers agent prompts with a task it recognises, maspo's judge prompts and optimizer meta-prompts; anything else gets a generic reply like this one.`;
  }
  const rng = contextRng(ctx, "generic", textDigest(ctx.system + "\n" + ctx.user));
  return rng.pick(REPLIES);
}

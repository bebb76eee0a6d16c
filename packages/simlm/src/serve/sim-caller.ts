/**
 * A world as an `LlmCaller`, with no SDK or HTTP in between: for unit tests of the executor,
 * evaluator and mutator that want simlm's behaviour without the LLM client. The sample index maps
 * to the API seed exactly as the LLM client maps it, so answers match what a real run would see.
 */
import { type LlmCallRequest, type LlmCaller } from "@maspo/core";
import { apiSeed } from "@maspo/llm";
import { simulateChat } from "../roles/simulate-chat.js";
import type { World } from "../world/world-schema.js";

export interface RecordingSimCaller extends LlmCaller {
  /** Every request made, in call order. */
  readonly calls: LlmCallRequest[];
}

export function simCaller(world: World): RecordingSimCaller {
  const calls: LlmCallRequest[] = [];
  return {
    calls,
    async complete(req) {
      calls.push(req);
      const out = simulateChat(world, {
        model: world.name,
        messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
        temperature: req.temperature,
        seed: apiSeed(req.seed, req.sampleIndex ?? 0),
        n: 1,
        ...(req.json ? { response_format: { type: "json_object" as const } } : {}),
      });
      const choice = out.choices[0];
      return {
        content: choice?.content ?? "",
        finishReason: choice?.finishReason ?? "stop",
        usage: { promptTokens: out.usage.prompt_tokens, completionTokens: out.usage.completion_tokens },
        cached: false,
      };
    },
  };
}

import { describe, expect, it } from "vitest";
import { buildChatCompletion, buildChatCompletionStream, contentDeltas, requestDigest } from "./chat-completion-response.js";

const result = {
  choices: [
    { index: 0, content: "  Step 1: add.\nAnswer: 42 ", finishReason: "stop" as const },
    { index: 1, content: "Answer: 41", finishReason: "length" as const },
  ],
  usage: { prompt_tokens: 10, completion_tokens: 8, total_tokens: 18 },
};

describe("chat completion responses", () => {
  it("digests requests independently of key order but not of content or world", () => {
    const a = requestDigest("w", { model: "m", messages: [{ role: "user", content: "hi" }], seed: 1 });
    const b = requestDigest("w", { seed: 1, messages: [{ content: "hi", role: "user" }], model: "m" });
    expect(a).toBe(b);
    expect(requestDigest("w", { model: "m", messages: [], seed: 2 })).not.toBe(a);
    expect(requestDigest("v", { seed: 1, messages: [{ content: "hi", role: "user" }], model: "m" })).not.toBe(a);
  });

  it("builds the same completion (id and created included) for the same digest", () => {
    const digest = requestDigest("w", { model: "m" });
    const one = buildChatCompletion({ model: "m" }, result, digest);
    expect(JSON.stringify(one)).toBe(JSON.stringify(buildChatCompletion({ model: "m" }, result, digest)));
    expect(one.id).toMatch(/^chatcmpl-[0-9a-f]{29}$/);
    expect(one.created).toBeGreaterThanOrEqual(1_700_000_000);
    expect(one.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, result.choices[0]?.content, "stop"],
      [1, "Answer: 41", "length"],
    ]);
    expect(one.usage).toEqual(result.usage);
  });

  it("splits content into deltas that concatenate back to it exactly", () => {
    for (const text of ["", "one", "  lead and trail  ", "a\n\nb\tc"]) {
      expect(contentDeltas(text).join("")).toBe(text);
    }
  });

  it("streams role, content and finish deltas per choice, a usage chunk when asked, then [DONE]", () => {
    const digest = requestDigest("w", { model: "m", stream: true });
    const events = buildChatCompletionStream({ model: "m", stream: true, stream_options: { include_usage: true } }, result, digest);
    expect(events.at(-1)?.data).toBe("data: [DONE]\n\n");
    const chunks = events.slice(0, -1).map((e) => {
      expect(e.data.startsWith("data: ") && e.data.endsWith("\n\n")).toBe(true);
      return JSON.parse(e.data.slice(6)) as {
        object: string;
        choices: Array<{ index: number; delta: { content?: string }; finish_reason: string | null }>;
        usage: unknown;
      };
    });
    expect(new Set(chunks.map((c) => c.object))).toEqual(new Set(["chat.completion.chunk"]));
    for (const choice of result.choices) {
      const mine = chunks.flatMap((c) => c.choices).filter((c) => c.index === choice.index);
      expect(mine.map((c) => c.delta.content ?? "").join("")).toBe(choice.content);
      expect(mine.at(-1)?.finish_reason).toBe(choice.finishReason);
    }
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: result.usage });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(events.reduce((n, e) => n + e.tokens, 0)).toBeCloseTo(result.usage.completion_tokens);
  });

  it("leaves usage out of stream chunks unless include_usage is set", () => {
    const events = buildChatCompletionStream({ model: "m", stream: true }, result, "ab".repeat(32));
    expect(events.some((e) => e.data.includes('"usage"'))).toBe(false);
  });
});

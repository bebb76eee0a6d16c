import { describe, expect, it } from "vitest";
import { planChatReply, type ReplyPlan } from "./reply-plan.js";
import { parseServiceRealism } from "./service-realism.js";

const result = {
  choices: [{ index: 0, content: "Plan: add 3 and 4, then double.", finishReason: "stop" as const }],
  usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28 },
};
const realism = parseServiceRealism({ latency: { fixedMs: 40, perOutputTokenMs: 5 } });
const digest = "0123456789abcdef".repeat(4);

function sent(plan: ReplyPlan) {
  if (plan.kind !== "send") throw new Error("expected a sent reply");
  return plan;
}

describe("chat reply plans", () => {
  it("delays a whole reply by the fixed latency plus the per-token latency of its completion", () => {
    const plan = sent(planChatReply({ request: { model: "m" }, simulate: () => result, digest, attempt: 1, fault: null, realism }));
    expect(plan.headDelayMs).toBe(40 + 5 * 8);
    expect(plan.status).toBe(200);
  });

  it("pays the fixed latency before a stream's headers and spreads the per-token latency over its chunks", () => {
    const plan = sent(
      planChatReply({ request: { model: "m", stream: true }, simulate: () => result, digest, attempt: 1, fault: null, realism }),
    );
    expect(plan.headDelayMs).toBe(40);
    expect(plan.parts.reduce((ms, p) => ms + p.delayMs, 0)).toBeCloseTo(5 * 8);
    expect(plan.headers["content-type"]).toMatch(/^text\/event-stream/);
  });

  it("never simulates for a 429, 500 or timeout fault, and holds a timeout without replying", () => {
    const simulate = () => {
      throw new Error("must not simulate");
    };
    for (const fault of ["429", "500"] as const) {
      const plan = sent(planChatReply({ request: { model: "m" }, simulate, digest, attempt: 1, fault, realism }));
      expect(plan.status).toBe(Number(fault));
      expect(plan.headDelayMs).toBe(0);
    }
    expect(planChatReply({ request: { model: "m" }, simulate, digest, attempt: 1, fault: "timeout", realism })).toEqual({ kind: "hold" });
  });

  it("serves a malformed fault as a 200 whose body does not parse, for whole replies and streams", () => {
    for (let attempt = 1; attempt <= 6; attempt++) {
      const whole = sent(planChatReply({ request: { model: "m" }, simulate: () => result, digest, attempt, fault: "malformed", realism }));
      expect(whole.status).toBe(200);
      const text = whole.parts.map((p) => p.data).join("");
      expect(() => JSON.parse(text) as unknown).toThrow();
      expect(whole.headers["content-length"]).toBe(String(Buffer.byteLength(text)));

      const stream = sent(
        planChatReply({ request: { model: "m", stream: true }, simulate: () => result, digest, attempt, fault: "malformed", realism }),
      );
      expect(stream.parts.map((p) => p.data).join("")).not.toContain("data: [DONE]");
    }
  });
});

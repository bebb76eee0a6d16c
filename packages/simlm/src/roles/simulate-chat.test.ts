import { buildAgentMessages } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { ChatRequestSchema } from "../reading/chat-request.js";
import { generateDataset } from "../world/dataset.js";
import { oracle } from "../oracle/oracle.js";
import { countTokens, simulateChat } from "./simulate-chat.js";
import { loadWorld } from "../world/world-load.js";

const world = loadWorld("math-chain");
const o = oracle(world);
const example = generateDataset(world).train[0];
if (!example) throw new Error("no example");

function solverRequest(seed: number, extra: Record<string, unknown> = {}) {
  return ChatRequestSchema.parse({
    model: "simlm",
    messages: buildAgentMessages(o.best.solver ?? "", example?.input ?? "", [{ agentId: "planner", output: "Quantities: none" }]),
    seed,
    ...extra,
  });
}

describe("simulateChat", () => {
  it("answers the same request identically every time", () => {
    const a = simulateChat(world, solverRequest(42, { n: 3 }));
    const b = simulateChat(loadWorld("math-chain"), JSON.parse(JSON.stringify(solverRequest(42, { n: 3 }))));
    expect(b).toEqual(a);
  });

  it("gives one choice per n, indexed in order, that can differ between samples", () => {
    const r = simulateChat(world, ChatRequestSchema.parse({ ...solverRequest(1), n: 16 }));
    expect(r.choices.map((c) => c.index)).toEqual([...Array(16).keys()]);
    expect(new Set(r.choices.map((c) => c.content)).size).toBeGreaterThan(1);
  });

  it("fills usage as a function of the text", () => {
    const r = simulateChat(world, solverRequest(3));
    const choice = r.choices[0];
    expect(r.usage.completion_tokens).toBe(countTokens(choice?.content ?? ""));
    expect(r.usage.total_tokens).toBe(r.usage.prompt_tokens + r.usage.completion_tokens);
  });

  it("truncates at max_tokens and reports finish reason length", () => {
    const r = simulateChat(world, solverRequest(3, { max_tokens: 2 }));
    expect(r.choices[0]?.content.length).toBeLessThanOrEqual(8);
    expect(r.choices[0]?.finishReason).toBe("length");
    expect(r.usage.completion_tokens).toBe(2);
  });

  it("reads message content given as text parts like a plain string", () => {
    const plain = solverRequest(5);
    const parts = ChatRequestSchema.parse({
      ...plain,
      messages: plain.messages.map((m) => ({ role: m.role, content: [{ type: "text", text: m.content }] })),
    });
    expect(simulateChat(world, parts).choices[0]?.content).toBe(simulateChat(world, plain).choices[0]?.content);
  });

  it("ignores fields outside messages and the sampling parameters", () => {
    const base = simulateChat(world, solverRequest(9));
    const withExtras = simulateChat(world, solverRequest(9, { user: "someone", metadata: { agent: "formatter" } }));
    expect(withExtras.choices).toEqual(base.choices);
  });

  it("behaves as a generic assistant when the prompt has lost its role description", () => {
    const r = simulateChat(
      world,
      ChatRequestSchema.parse({
        model: "simlm",
        messages: buildAgentMessages("Answer helpfully and accurately. Show your work.", example?.input ?? "", []),
        seed: 1,
      }),
    );
    const content = r.choices[0]?.content ?? "";
    expect(content).not.toMatch(/^(Work|Result|Answer):/m);
    expect(content.length).toBeGreaterThan(20);
  });

  it("says what it is when greeted without a task", () => {
    const r = simulateChat(world, ChatRequestSchema.parse({ model: "simlm", messages: [{ role: "user", content: "Hello!" }] }));
    expect(r.choices[0]?.content).toMatch(/simlm/);
  });

  it("writes the same output for two prompts with the same directives in different words", () => {
    const solver = world.agents.find((a) => a.id === "solver");
    if (!solver) throw new Error("no solver");
    const reworded =
      "You are the solver. Solve the word problem using the notes you are given.\n- Write out every intermediate calculation.\nFinish with `Result: <number>`.";
    const ask = (prompt: string) =>
      simulateChat(world, ChatRequestSchema.parse({ model: "m", messages: buildAgentMessages(prompt, example?.input ?? "", []), seed: 8 }))
        .choices[0]?.content;
    expect(ask(reworded)).toBe(ask(o.initial.solver ?? ""));
  });
});

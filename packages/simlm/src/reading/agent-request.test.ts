import { buildAgentMessages } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { runGraphDirect } from "../oracle/graph-run.js";
import { oracle } from "../oracle/oracle.js";
import { simulateChat } from "../roles/simulate-chat.js";
import { compileWorld } from "../world/compiled-world.js";
import { generateDataset } from "../world/dataset.js";
import { bundledWorldNames, loadWorld } from "../world/world-load.js";
import type { World } from "../world/world-schema.js";
import { readAgentRequest, type ChatTurn } from "./agent-request.js";

type Message = { role: "system" | "user" | "assistant"; content: string };
interface Upstream {
  agentId: string;
  output: string;
}

// How peers' frameworks lay out the same agent call (docs of DSPy's ChatAdapter and Ax's prompt template).
const fieldName = (id: string) => `${id}_output`;
const title = (name: string) => name.replace(/_/g, " ").replace(/\b\w/, (c) => c.toUpperCase());

function dspyMessages(instruction: string, input: string, upstream: readonly Upstream[]): Message[] {
  const inputs = ["question", ...upstream.map((u) => fieldName(u.agentId))];
  const system = [
    "Your input fields are:",
    ...inputs.map((f, i) => `${i + 1}. \`${f}\` (str): ${i === 0 ? "the problem" : `what ${f.replace(/_output$/, "")} handed over`}`),
    "Your output fields are:",
    "1. `answer` (str)",
    "All interactions will be structured in the following way, with the appropriate values filled in.",
    "",
    ...[...inputs, "answer"].flatMap((f) => [`[[ ## ${f} ## ]]`, `{${f}}`, ""]),
    "[[ ## completed ## ]]",
    "In adhering to this structure, your objective is: ",
    ...instruction.split("\n").map((l) => `        ${l}`),
  ].join("\n");
  const user = [
    `[[ ## question ## ]]\n${input}`,
    ...upstream.map((u) => `[[ ## ${fieldName(u.agentId)} ## ]]\n${u.output}`),
    "Respond with the corresponding output fields, starting with the field `[[ ## answer ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`.",
  ].join("\n\n");
  return [
    { role: "system", content: system },
    { role: "user", content: user },
  ];
}

function axMessages(instruction: string, input: string, upstream: readonly Upstream[]): Message[] {
  const inputs = ["Question", ...upstream.map((u) => title(fieldName(u.agentId)))];
  const system = [
    `You will be provided with the following fields: ${inputs.map((f) => `\`${f}\``).join(", ")}. Your task is to generate new fields: \`Answer\`.`,
    `## Input Fields\n${inputs.map((f) => `${f}: (A string field) The ${f.toLowerCase()}.`).join("\n")}`,
    "## Output Fields\nAnswer: (This string field must be included) The result.",
    [
      "## Strict Output Formatting Rules",
      "- No formatting rules should override these **Strict Output Formatting Rules**",
      "- Output must strictly follow the defined plain-text `field name: value` field format.",
      "- Do not include fields with empty, unknown, or placeholder values.",
      "- Do not add any text before or after the output fields, just the field name and value.",
    ].join("\n"),
    instruction,
  ].join("\n\n");
  return [
    { role: "system", content: system },
    { role: "user", content: userFields(input, upstream) },
  ];
}

/**
 * Ax's newer template: tagged blocks, the description in `<task_definition>`, demos as earlier
 * user/assistant turns announced by a heading, and the answered turn opened by Ax's separator.
 */
function axTaggedMessages(instruction: string, input: string, upstream: readonly Upstream[], demoInput: string): Message[] {
  const inputs = ["Question", ...upstream.map((u) => title(fieldName(u.agentId)))];
  const system = [
    `<identity>\nYou will be provided with the following fields: ${inputs.map((f) => `\`${f}\``).join(", ")}. Your task is to generate new fields: \`Answer\`.\n</identity>`,
    `<input_fields>\n**Input Fields**: The following fields will be provided to you:\n\n${inputs.map((f) => `${f}: The ${f.toLowerCase()}.`).join("\n")}\n</input_fields>`,
    "<output_fields>\n**Output Fields**: You must generate the following fields:\n\nAnswer: (This string field must be included) The result.\n</output_fields>",
    "<formatting_rules>\nThese rules are mandatory and override later instructions.\nReturn one `field name: value` pair per line for the required output fields only.\nDo not add surrounding prose, markdown, or code fences.\n</formatting_rules>",
    `<task_definition>\n${instruction}\n</task_definition>`,
    "## Example Demonstrations\nThe following User/Assistant turns are examples only until --- END OF EXAMPLES ---, not context for the current task.",
  ].join("\n\n");
  const separator =
    "--- END OF EXAMPLES ---\nThe examples above were for training purposes only. Please ignore any specific entities or facts mentioned in them.\n\nREAL USER QUERY:\n";
  return [
    { role: "system", content: system },
    {
      role: "user",
      content: userFields(
        demoInput,
        upstream.map((u) => ({ ...u, output: "Quantities: see the problem" })),
      ),
    },
    { role: "assistant", content: "Answer: 7" },
    { role: "user", content: separator + userFields(input, upstream) },
  ];
}

/** `Field: value` lines with no boilerplate at all: the value on the label's line, continued below. */
function userFields(input: string, upstream: readonly Upstream[]): string {
  return [`Question: ${input}`, ...upstream.map((u) => `${title(fieldName(u.agentId))}: ${u.output}`)].join("\n") + "\n";
}

function reply(world: World, messages: readonly Message[], seed: number): string {
  return simulateChat(world, { model: "m", messages: [...messages], seed, temperature: 0 }).choices[0]?.content ?? "";
}

function turns(messages: readonly Message[]): { system: string; turns: ChatTurn[] } {
  return {
    system: messages.find((m) => m.role === "system")?.content ?? "",
    turns: messages.map((m) => ({ role: m.role, text: m.content })),
  };
}

const LAYOUTS = {
  "DSPy [[ ## field ## ]] markers under DSPy's boilerplate": dspyMessages,
  "Ax `Field: value` lines under Ax's boilerplate": axMessages,
  "Ax's tagged blocks, with a demo as earlier turns": axTaggedMessages,
  "bare `Field: value` lines under maspo's prompt": (instruction: string, input: string, upstream: readonly Upstream[]): Message[] => [
    { role: "system", content: instruction },
    { role: "user", content: userFields(input, upstream) },
  ],
} as const;

describe.each(bundledWorldNames())("world %s read from other agent layouts", (name) => {
  const world = loadWorld(name);
  const o = oracle(world);
  const examples = generateDataset(world).train.slice(0, 12);
  const runs = examples.map((e) => ({ e, run: runGraphDirect(world, o.best, e, { seed: 4 }) }));
  // A demo's task is another of the world's problems, which must not stand in for the one asked.
  const demoInput = (input: string) => examples.find((x) => x.input !== input)?.input ?? "";

  it.each(Object.entries(LAYOUTS))("gives every agent the same reply as maspo's layout: %s", (_label, layout) => {
    for (const { e, run } of runs) {
      for (const agent of world.agents) {
        const upstream = agent.predecessors.map((p) => ({ agentId: p, output: run.outputs[p] ?? "" }));
        const prompt = o.best[agent.id] ?? "";
        const maspo = reply(world, buildAgentMessages(prompt, e.input, upstream), 4);
        expect(maspo).toBe(run.outputs[agent.id]);
        expect(reply(world, layout(prompt, e.input, upstream, demoInput(e.input)), 4)).toBe(maspo);
      }
    }
  });

  it.each(Object.entries(LAYOUTS))("hands each predecessor's output on (not only the task): %s", (_label, layout) => {
    const cw = compileWorld(world);
    for (const { e, run } of runs.slice(0, 3)) {
      for (const agent of world.agents.filter((a) => a.predecessors.length > 0)) {
        const upstream = agent.predecessors.map((p) => ({ agentId: p, output: run.outputs[p] ?? "" }));
        const r = turns(layout(o.best[agent.id] ?? "", e.input, upstream, demoInput(e.input)));
        const reading = readAgentRequest(cw, r.system, r.turns);
        expect(reading.layout).toBe("fields");
        expect(reading.task).toBe(e.input);
        expect(reading.agent?.id).toBe(agent.id);
        expect(reading.upstream.map((u) => u.body)).toEqual(upstream.map((u) => u.output.trim()));
      }
    }
  });
});

describe("readAgentRequest", () => {
  const world = loadWorld("math-chain");
  const cw = compileWorld(world);
  const o = oracle(world);
  const [first, second, third] = generateDataset(world).train;
  if (!first || !second || !third) throw new Error("math-chain has fewer than 3 train examples");
  const planner = runGraphDirect(world, o.best, first, { seed: 2 }).outputs.planner ?? "";

  it("reads maspo's layout from its headed sections, the whole system text as the instruction", () => {
    const messages = buildAgentMessages(o.best.solver ?? "", first.input, [{ agentId: "planner", output: planner }]);
    const r = readAgentRequest(cw, messages[0]?.content ?? "", turns(messages).turns);
    expect(r).toMatchObject({ layout: "sections", task: first.input, instruction: o.best.solver, boilerplate: false, demos: 0 });
    expect(r.agent?.id).toBe("solver");
    expect(r.upstream.map((s) => [s.heading, s.body])).toEqual([["Output of planner", planner.trim()]]);
  });

  it("takes the task from the last user turn and reads earlier turns as demos, in maspo's layout and DSPy's", () => {
    for (const layout of [
      (i: string, up: Upstream[]) => buildAgentMessages(o.best.solver ?? "", i, up),
      (i: string, up: Upstream[]) => dspyMessages(o.best.solver ?? "", i, up),
    ]) {
      const demo = (input: string): Message[] => [
        layout(input, [{ agentId: "planner", output: "Quantities: see the problem" }])[1] as Message,
        { role: "assistant", content: "Work: worked out.\nResult: 1" },
      ];
      const plain = layout(third.input, [{ agentId: "planner", output: planner }]);
      const withDemos = [plain[0] as Message, ...demo(first.input), ...demo(second.input), plain[1] as Message];
      const r = turns(withDemos);
      const reading = readAgentRequest(cw, r.system, r.turns);
      expect(reading.task).toBe(third.input);
      expect(reading.demos).toBe(2);
      for (const seed of [1, 2, 3]) expect(reply(world, withDemos, seed)).toBe(reply(world, plain, seed));
    }
  });

  it("reads demos written into the answered turn ahead of its own task fields (Ax without system demos) as demos", () => {
    const up = (output: string) => [{ agentId: "planner", output }];
    const plain = axMessages(o.best.solver ?? "", third.input, up(planner));
    const demo = (input: string) => `${userFields(input, up("Quantities: see the problem"))}Answer: 7\n`;
    const user = `${demo(first.input)}${demo(second.input)}${plain[1]?.content ?? ""}`;
    const messages: Message[] = [plain[0] as Message, { role: "user", content: user }];
    const r = turns(messages);
    const reading = readAgentRequest(cw, r.system, r.turns);
    expect(reading).toMatchObject({ layout: "fields", task: third.input, demos: 2 });
    expect(reading.upstream.map((u) => u.body)).toEqual([planner.trim()]);
    for (const seed of [1, 2, 3]) expect(reply(world, messages, seed)).toBe(reply(world, plain, seed));
  });

  it("takes the field holding the problem as the task when a predecessor's field is also named like one (task_plan)", () => {
    const plain = dspyMessages(o.best.solver ?? "", first.input, [{ agentId: "planner", output: planner }]);
    const renamed = plain.map((m) => ({ ...m, content: m.content.replace(/planner_output/g, "task_plan") }));
    const r = turns(renamed);
    const reading = readAgentRequest(cw, r.system, r.turns);
    expect(reading).toMatchObject({ layout: "fields", task: first.input });
    expect(reading.upstream.map((u) => [u.key, u.body])).toEqual([["task plan", planner.trim()]]);
    expect(reply(world, renamed, 5)).toBe(reply(world, plain, 5));
  });

  it("prefers the role phrase in the instruction over one in the boilerplate (a field named planner_output)", () => {
    const messages = dspyMessages(o.best.solver ?? "", first.input, [{ agentId: "planner", output: planner }]);
    const system = messages[0]?.content ?? "";
    // The boilerplate names the planner before the instruction names the solver.
    expect(system.indexOf("planner")).toBeLessThan(system.indexOf("solver"));
    const r = readAgentRequest(cw, system, turns(messages).turns);
    expect(r.boilerplate).toBe(true);
    expect(r.agent?.id).toBe("solver");
    expect(r.instruction.split("\n")[0]).toBe((o.best.solver ?? "").split("\n")[0]);
    expect(r.instruction).not.toMatch(/input fields|\[\[ ##/i);
  });

  it("names no role when only the boilerplate carries a role phrase, as a prompt that lost its role", () => {
    const roleless = "Read the task and answer it clearly and concisely.";
    const messages = dspyMessages(roleless, first.input, [{ agentId: "planner", output: planner }]);
    expect(readAgentRequest(cw, messages[0]?.content ?? "", turns(messages).turns).agent).toBeUndefined();
    const generic = reply(world, messages, 1);
    expect(generic).toBe(reply(world, buildAgentMessages(roleless, first.input, [{ agentId: "planner", output: planner }]), 1));
  });

  it("does not read directives or a role from demos appended to the instruction after Ax's boilerplate", () => {
    const solver = o.best.solver ?? "";
    const messages = axMessages(o.initial.planner ?? "", first.input, []);
    // Ax appends text demos after the description: a solver's output, whose lines echo solver directives.
    const solved = runGraphDirect(world, o.best, second, { seed: 2 }).outputs.solver ?? "";
    const system = `${messages[0]?.content ?? ""}\nQuestion: ${second.input}\nAnswer: ${solved}\n`;
    const r = readAgentRequest(cw, system, turns(messages).turns);
    expect(r.agent?.id).toBe("planner");
    expect(r.instruction).toBe(o.initial.planner);
    expect(solver.length).toBeGreaterThan(0);
    expect(reply(world, [{ role: "system", content: system }, messages[1] as Message], 3)).toBe(
      reply(world, buildAgentMessages(o.initial.planner ?? "", first.input, []), 3),
    );
  });
});

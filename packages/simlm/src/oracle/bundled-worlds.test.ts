import { buildAgentUserMessage, renderAgentPrompt } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { generateDataset, type WorldExample } from "../world/dataset.js";
import { runGraphDirect, scorePromptSet } from "./graph-run.js";
import { bundledWorldNames, loadWorld } from "../world/world-load.js";
import { compileWorld } from "../world/compiled-world.js";
import { expectedScore, initialDirectives, oracle, promptForDirectives, type OracleResult } from "./oracle.js";
import { addDirective } from "../roles/prompt-edit.js";
import { detectDirectives, recogniseAgent } from "../reading/prompt-reading.js";
import { simulateChat } from "../roles/simulate-chat.js";
import type { World, WorldAgent } from "../world/world-schema.js";

// The judge and meta-prompt layouts of docs/llm-protocol.md, as the evaluator and mutator write them.
function judgeMessages(system: string, sections: Array<[string, string]>) {
  const user = [
    ...sections.map(([h, b]) => `## ${h}\n${b}`),
    'Answer with JSON: {"winner": "A" | "B" | "tie", "reason": "<one sentence>"}',
  ].join("\n\n");
  return [
    { role: "system" as const, content: system },
    { role: "user" as const, content: user },
  ];
}

const LOCAL_JUDGE =
  "You are an impartial judge comparing two responses in a multi-agent LLM system.\nYou judge Local Validity: does the response fulfil the agent's role instruction, and does it make a correct final answer more likely?";

function verdict(world: World, messages: ReturnType<typeof judgeMessages>, seed: number): string {
  const content =
    simulateChat(world, { model: "judge", messages, seed, temperature: 0, response_format: { type: "json_object" } }).choices[0]?.content ??
    "";
  try {
    return String((JSON.parse(content) as { winner?: unknown }).winner);
  } catch {
    return "malformed";
  }
}

interface Trace {
  input: string;
  context: string;
  output: string;
  downstream: string;
}

function metaPrompt(
  agent: WorldAgent,
  prompt: string,
  traces: readonly Trace[],
  hardNegatives: readonly Trace[] = [],
): ReturnType<typeof judgeMessages> {
  const parts = [
    `## Agent\n${agent.id} — ${agent.role}`,
    `## Current prompt\n<<<\n${prompt}\n>>>`,
    "## Operator\nadd constraint\nAdd one constraint that prevents the failures shown.",
  ];
  if (traces.length > 0) {
    parts.push(
      "## Execution traces\n" +
        traces
          .map(
            (t, i) =>
              `### Trace ${i + 1} (outcome: failure — final answer wrong)\nInput: ${t.input}\nContext: ${t.context}\nOutput: ${t.output}\nDownstream: ${t.downstream} (incorrect)`,
          )
          .join("\n"),
    );
  }
  if (hardNegatives.length > 0) {
    parts.push(
      "## Hard negatives (cases that looked good locally but failed downstream)\n" +
        hardNegatives
          .map(
            (t, i) =>
              `### Case ${i + 1} (category: lookahead)\nInput: ${t.input}\nOutput: ${t.output}\nDownstream: ${t.downstream}\nFailure caused: the final answer was wrong`,
          )
          .join("\n"),
    );
  }
  parts.push('Answer with JSON: {"analysis": "...", "modification": "...", "prompt": "<the complete new prompt>"}');
  return [
    {
      role: "system",
      content: "You are a prompt engineer improving one agent's prompt in a multi-agent system. Keep its role and input format.",
    },
    { role: "user", content: parts.join("\n\n") },
  ];
}

function proposedPrompt(world: World, messages: ReturnType<typeof judgeMessages>, seed: number): string | undefined {
  const content =
    simulateChat(world, { model: "optimizer", messages, seed, temperature: 0.7, response_format: { type: "json_object" } }).choices[0]
      ?.content ?? "";
  try {
    return String((JSON.parse(content) as { prompt?: unknown }).prompt);
  } catch {
    return undefined;
  }
}

/** Failing traces of one agent under a prompt set (default: the initial prompts), from real graph runs. */
function failingTraces(
  world: World,
  o: OracleResult,
  agent: WorldAgent,
  examples: readonly WorldExample[],
  count: number,
  prompts = o.initial,
): Trace[] {
  const out: Trace[] = [];
  for (const e of examples) {
    const run = runGraphDirect(world, prompts, e, { seed: 3 });
    if (run.score === 1) continue;
    out.push({
      input: e.input,
      context: agent.predecessors.map((p) => `${p}: ${run.outputs[p] ?? ""}`).join("\n"),
      output: run.outputs[agent.id] ?? "",
      downstream: run.final,
    });
    if (out.length === count) break;
  }
  return out;
}

/** Per world: an agent whose initial prompt fails in a way one directive addresses. */
const GROUNDED: Record<string, { agent: string; fix: string }> = {
  "math-chain": { agent: "planner", fix: "list_quantities" },
  "code-pipeline": { agent: "spec_writer", fix: "list_requirements" },
  "hier-research": { agent: "manager", fix: "assign_regions" },
  "code-tests": { agent: "spec_writer", fix: "list_requirements" },
  "fan-in-review": { agent: "clerk", fix: "extract_figures" },
  "long-chain": { agent: "extractor", fix: "list_items" },
  "pair-bootstrap": { agent: "case_reader", fix: "quote_lines" },
};

const SEEDS = Array.from({ length: 10 }, (_, i) => 1000 + i);

describe.each(bundledWorldNames())("bundled world %s", (name) => {
  const world = loadWorld(name);
  const o = oracle(world);
  const { train, heldOut } = generateDataset(world);
  const meanOverSeeds = (prompts: Record<string, string>) =>
    SEEDS.reduce((s, seed) => s + scorePromptSet(world, prompts, heldOut, { seed }), 0) / SEEDS.length;

  it("has a ceiling at least 30 points above its floor", () => {
    expect(o.ceiling - o.floor).toBeGreaterThanOrEqual(0.3);
  });

  it("scores the oracle's best prompt set at the ceiling when run through the graph", () => {
    expect(Math.abs(meanOverSeeds(o.best) - o.ceiling)).toBeLessThan(0.045);
  });

  it("scores the initial prompt set at the floor when run through the graph", () => {
    expect(Math.abs(meanOverSeeds(o.initial) - o.floor)).toBeLessThan(0.045);
  });

  it("writes best prompts that carry exactly the best directives", () => {
    for (const agent of world.agents) {
      expect([...detectDirectives(agent, o.best[agent.id] ?? "")].sort()).toEqual([...(o.bestDirectives[agent.id] ?? [])].sort());
    }
  });

  it("cannot be lifted to the ceiling by changing one agent's prompt alone", () => {
    for (const score of Object.values(o.singleAgentBest)) expect(o.ceiling - score).toBeGreaterThanOrEqual(0.25);
  });

  it("stops greedy search on the final score alone well below the ceiling (an interacting pair must move together)", () => {
    let current: Record<string, Set<string>> = initialDirectives(world);
    let score = expectedScore(world, current, heldOut);
    for (;;) {
      let best: { score: number; next: Record<string, Set<string>> } | undefined;
      for (const agent of world.agents) {
        for (const d of agent.directives) {
          const set = new Set(current[agent.id]);
          if (set.has(d.id)) set.delete(d.id);
          else set.add(d.id);
          const next = { ...current, [agent.id]: set };
          const s = expectedScore(world, next, heldOut);
          if (s > score + 1e-9 && (!best || s > best.score)) best = { score: s, next };
        }
      }
      if (!best) break;
      current = best.next;
      score = best.score;
    }
    expect(o.ceiling - score).toBeGreaterThanOrEqual(0.1);
  });

  const traps = world.agents.flatMap((agent) => agent.directives.filter((d) => d.trap).map((d) => ({ agent, trap: d })));

  it("has at least one trap directive", () => {
    expect(traps.length).toBeGreaterThan(0);
  });

  it.each(traps.map((t) => [`${t.agent.id}.${t.trap.id}`, t] as const))(
    "trap %s wins the local judge in both orders yet lowers the final metric",
    (_label, { agent, trap }) => {
      const base = o.best;
      const trapped = { ...base, [agent.id]: addDirective(base[agent.id] ?? "", trap) };
      let trapPoints = 0;
      let verdicts = 0;
      for (const e of train.slice(0, 40)) {
        const run = runGraphDirect(world, base, e, { seed: 5 });
        const upstream = agent.predecessors.map((p) => ({ agentId: p, output: run.outputs[p] ?? "" }));
        const ask = (prompt: string) =>
          simulateChat(world, {
            model: "agent",
            messages: [
              { role: "system", content: prompt },
              { role: "user", content: buildAgentUserMessage(e.input, upstream) },
            ],
            seed: 5,
          }).choices[0]?.content ?? "";
        const clean = ask(base[agent.id] ?? "");
        const withTrap = ask(trapped[agent.id] ?? "");
        const context = upstream.map((u) => `## Output of ${u.agentId}\n${u.output}`).join("\n\n");
        for (const [a, b, trapLabel] of [
          [withTrap, clean, "A"],
          [clean, withTrap, "B"],
        ] as const) {
          const v = verdict(
            world,
            judgeMessages(LOCAL_JUDGE, [
              ["Role instruction", base[agent.id] ?? ""],
              ["Task", e.input],
              ["Context", context],
              ["Response A", a],
              ["Response B", b],
            ]),
            7,
          );
          trapPoints += v === trapLabel ? 1 : v === "tie" ? 0.5 : 0;
          verdicts++;
        }
      }
      expect(trapPoints / verdicts).toBeGreaterThan(0.65);
      const assignment = Object.fromEntries(world.agents.map((a) => [a.id, detectDirectives(a, trapped[a.id] ?? "")]));
      expect(expectedScore(world, assignment, heldOut)).toBeLessThan(o.ceiling - 0.1);
      expect(scorePromptSet(world, trapped, heldOut, { seed: 9 })).toBeLessThan(scorePromptSet(world, base, heldOut, { seed: 9 }));
    },
  );

  it("makes the optimizer propose the addressing directive far more often when shown a failing trace than when shown none", () => {
    const g = GROUNDED[name];
    expect(g).toBeDefined();
    if (!g) return;
    const agent = world.agents.find((a) => a.id === g.agent) as WorldAgent;
    const traces = failingTraces(world, o, agent, train, 3);
    expect(traces.length).toBe(3);
    const rate = (withTraces: boolean) => {
      let hits = 0;
      for (let seed = 0; seed < 80; seed++) {
        const p = proposedPrompt(world, metaPrompt(agent, o.initial[agent.id] ?? "", withTraces ? traces : []), seed);
        if (p !== undefined && detectDirectives(agent, p).has(g.fix)) hits++;
      }
      return hits / 80;
    };
    const grounded = rate(true);
    const blind = rate(false);
    expect(grounded).toBeGreaterThan(0.55);
    expect(blind).toBeLessThan(0.25);
    expect(grounded).toBeGreaterThan(3 * blind);
  });

  it("restores the role of a named agent whose prompt lost it when shown failing traces, and only then", () => {
    const g = GROUNDED[name];
    if (!g) throw new Error(`no grounded case for ${name}`);
    const agent = world.agents.find((a) => a.id === g.agent) as WorldAgent;
    const roleless = "You are a helpful assistant. Read the task and answer it clearly and concisely.";
    const traces = failingTraces(world, o, agent, train, 3, { ...o.initial, [agent.id]: roleless });
    expect(traces.length).toBe(3);
    const rate = (withTraces: boolean) => {
      let restored = 0;
      for (let seed = 0; seed < 60; seed++) {
        const p = proposedPrompt(world, metaPrompt(agent, roleless, withTraces ? traces : []), seed);
        if (p !== undefined && recogniseAgent(compileWorld(world), p)?.id === agent.id) restored++;
      }
      return restored / 60;
    };
    expect(rate(true)).toBeGreaterThan(0.55);
    expect(rate(false)).toBeLessThan(0.1);
  });

  it("never proposes a trap that its hard negatives showed failing downstream, though it does without them", () => {
    // The agent whose trap has a failure signature that names it: that is what a hard negative can show.
    const found = world.agents.flatMap((a) =>
      a.directives
        .filter((d) => d.trap && a.failures.some((f) => "remove" in f.fix && f.fix.remove === d.id))
        .map((d) => ({ agent: a, trap: d.id })),
    )[0];
    if (!found) throw new Error(`${name} has no trap with a failure signature`);
    const { agent, trap } = found;
    const clean = o.best[agent.id] ?? "";
    const trapped = promptForDirectives(world, agent.id, new Set([...(o.bestDirectives[agent.id] ?? []), trap]));
    const negatives = failingTraces(world, o, agent, train, 3, { ...o.best, [agent.id]: trapped });
    expect(negatives.length).toBe(3);
    const trapRate = (shown: readonly Trace[]) => {
      let hits = 0;
      for (let seed = 0; seed < 200; seed++) {
        const p = proposedPrompt(world, metaPrompt(agent, clean, [], shown), seed);
        if (p !== undefined && detectDirectives(agent, p).has(trap)) hits++;
      }
      return hits / 200;
    };
    expect(trapRate([])).toBeGreaterThan(0.03);
    expect(trapRate(negatives)).toBe(0);
  });

  it("still understands a paraphrased meta-prompt with differently worded headings", () => {
    const g = GROUNDED[name];
    if (!g) throw new Error(`no grounded case for ${name}`);
    const agent = world.agents.find((a) => a.id === g.agent) as WorldAgent;
    const traces = failingTraces(world, o, agent, train, 2);
    const user = [
      `**Which agent:** ${agent.id}`,
      "",
      "**Prompt to improve**",
      "```",
      o.initial[agent.id] ?? "",
      "```",
      "",
      "### Runs that went wrong",
      ...traces.map((t) => `- Task: ${t.input}\n- Agent output: ${t.output}\n- Outcome: the final answer was incorrect`),
      "",
      "Reply in JSON with the keys analysis, modification and prompt (the full revised prompt).",
    ].join("\n");
    const messages = [
      { role: "system" as const, content: "Your job: refine the system prompt of a single agent that works inside a team of LLM agents." },
      { role: "user" as const, content: user },
    ];
    let hits = 0;
    for (let seed = 0; seed < 60; seed++) {
      const p = proposedPrompt(world, messages, seed);
      if (p !== undefined && detectDirectives(agent, p).has(g.fix)) hits++;
    }
    expect(hits / 60).toBeGreaterThan(0.5);
  });

  it("has a paraphrased global judge prefer the correct final answer in both orders", () => {
    const system =
      "Act as an evaluator. Two candidate final answers to the same task follow; decide which one is more correct. Reply in JSON.";
    let right = 0;
    let asked = 0;
    for (const e of heldOut.slice(0, 30)) {
      const wrong = runGraphDirect(world, o.best, { ...e }, { seed: 1 });
      // A right and a wrong final output for the same task: draw seeds until both occur.
      let good: string | undefined;
      let bad: string | undefined;
      for (let seed = 1; seed < 60 && (!good || !bad); seed++) {
        const r = seed === 1 ? wrong : runGraphDirect(world, o.best, e, { seed });
        if (r.score === 1) good ??= r.final;
        else if (r.final.length > 0) bad ??= r.final;
      }
      if (!good || !bad) continue;
      for (const [a, b, correct] of [
        [good, bad, "A"],
        [bad, good, "B"],
      ] as const) {
        const user = `**Question**\n${e.input}\n\nCandidate 1:\n${a}\n\nCandidate 2:\n${b}\n\nRespond with {"winner": "A"|"B"|"tie", "reason": "..."}`;
        const v = verdict(
          world,
          [
            { role: "system", content: system },
            { role: "user", content: user },
          ],
          11,
        );
        if (v === correct) right++;
        asked++;
      }
    }
    expect(asked).toBeGreaterThanOrEqual(20);
    expect(right / asked).toBeGreaterThan(0.7);
  });
});

describe("bundled worlds", () => {
  it("are the seven the docs promise", () => {
    expect(bundledWorldNames()).toEqual([
      "code-pipeline",
      "code-tests",
      "fan-in-review",
      "hier-research",
      "long-chain",
      "math-chain",
      "pair-bootstrap",
    ]);
  });

  it("start from initial prompts rendered from their prompt parts", () => {
    const world = loadWorld("math-chain");
    const o = oracle(world);
    for (const a of world.agents) expect(o.initial[a.id]).toBe(renderAgentPrompt(a.prompt));
  });
});

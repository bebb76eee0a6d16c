/**
 * The simulated optimizer (docs/llm-protocol.md §3): recognises a meta-prompt asking to improve one
 * agent's prompt however it is worded, reads the current prompt, the execution traces and the hard
 * negatives, spots the world's failure signatures in the failing ones, and proposes a new prompt.
 * With the world's grounding probability it fixes a failure it was shown; otherwise — and always
 * when it was shown none — it guesses: a paraphrase, a random directive or a harmful edit, never
 * adding a directive whose failure it was shown (what labelled hard negatives teach).
 */
import { renderAgentPrompt, type Rng } from "@maspo/core";
import { contextRng, jsonReply, textDigest, type ChatContext } from "./chat-context.js";
import { splitSections, type Section } from "../reading/message-sections.js";
import { normalize } from "../reading/phrase-match.js";
import { recogniseProblem } from "../world/problem.js";
import { readOutput } from "../reading/output-reading.js";
import { addDirective, addSentence, removeDirective, rephraseDirective } from "./prompt-edit.js";
import { detectDirectives, recogniseAgent } from "../reading/prompt-reading.js";
import type { CompiledWorld } from "../world/compiled-world.js";
import type { FailureSignature, WorldAgent } from "../world/world-schema.js";

const OPTIMIZER_CUE =
  /\b(prompt engineer|prompt engineering|improve|improving|improved|rewrite|rewriting|revise|revising|optimi[sz]e|optimi[sz]ing|optimi[sz]er|refine|refining|mutate|mutation)\b/;
const PROMPT_HEADING = /\b(current|parent|existing|original|base|old) (agent s )?prompt\b|\bprompt to (improve|revise|edit|rewrite)\b/;

/** The prompt under improvement: the `<<< >>>` block, or the body of a "current prompt" section. */
export function extractCurrentPrompt(user: string, sections: readonly Section[]): string | undefined {
  const block = /<<<[ \t]*\n?([\s\S]*?)\n?[ \t]*>>>/.exec(user);
  if (block?.[1] !== undefined && block[1].trim().length > 0) return block[1].trim();
  const section = sections.find((s) => PROMPT_HEADING.test(s.key));
  if (!section) return undefined;
  const fenced = /^```[^\n]*\n([\s\S]*?)\n```/.exec(section.body.trim());
  return (fenced?.[1] ?? section.body).trim() || undefined;
}

export interface TraceRecord {
  failing: boolean;
  fields: Map<string, string>;
}

// "Correct answer" (a failing trace's label) is read as a field of its own so it never runs on into
// the field before it, and is then not used: the optimizer grounds its fix in the failure it sees,
// as it did before requests carried labels (docs/llm-protocol.md §3).
const FIELD =
  /^\s*[-*]?\s*\**\s*(input|task|question|context|agent output|output|response|downstream|outcome|failure caused|failure|category|correct answer|expected answer|reference answer)\s*\**\s*:\s*(.*)$/i;
const FIELD_NAMES: Record<string, string> = {
  task: "input",
  question: "input",
  response: "output",
  "agent output": "output",
  "failure caused": "failure",
  "correct answer": "answer",
  "expected answer": "answer",
  "reference answer": "answer",
};

const FAILING = /\b(fail|fails|failed|failure|failing|incorrect|wrong|error|bad|misaligned|misalignment)\b/;

/** Traces and hard-negative cases, split into records of labelled fields. */
function readTraces(cw: CompiledWorld, sections: readonly Section[]): TraceRecord[] {
  const markers = [...cw.features.values()].map((f) => f.marker);
  const records: TraceRecord[] = [];
  for (const section of sections) {
    const hardNegative = /\b(case|hard negatives?|negatives?|misalign\w*)\b/.test(section.key);
    const trace = /\b(traces?|runs?|examples?)\b/.test(section.key);
    if (!hardNegative && !trace) continue;
    const own: TraceRecord[] = [];
    let field: string | undefined;
    for (const line of section.body.split("\n")) {
      // An output's own lines (its features) are content, not field labels.
      const m = markers.some((mk) => line.trimStart().startsWith(mk)) ? null : FIELD.exec(line);
      const current = own[own.length - 1];
      if (m) {
        const label = (m[1] ?? "").toLowerCase();
        const name = FIELD_NAMES[label] ?? label;
        const record =
          !current || (name === "input" && current.fields.has("input")) ? { failing: false, fields: new Map<string, string>() } : current;
        if (record !== current) own.push(record);
        field = name;
        record.fields.set(name, (m[2] ?? "").trim());
      } else if (current && field) {
        current.fields.set(field, `${current.fields.get(field) ?? ""}\n${line}`.trim());
      }
    }
    // A hard negative failed by definition; a trace failed when its heading or its outcome says so.
    const headingFails = FAILING.test(section.key);
    for (const r of own) {
      const outcome = normalize(`${r.fields.get("outcome") ?? ""} ${r.fields.get("failure") ?? ""}`);
      r.failing = hardNegative || headingFails || FAILING.test(outcome);
      records.push(r);
    }
  }
  return records.filter((r) => r.fields.has("output"));
}

/** Each failure signature the failing records show, with how many show it, in order of first showing. */
function shownFailures(cw: CompiledWorld, agent: WorldAgent, records: readonly TraceRecord[]): Map<FailureSignature, number> {
  const shown = new Map<FailureSignature, number>();
  for (const record of records) {
    if (!record.failing) continue;
    const problem = recogniseProblem(cw.templates, record.fields.get("input") ?? "");
    const output = readOutput(cw, record.fields.get("output") ?? "", problem);
    const context = readOutput(cw, record.fields.get("context") ?? "", problem);
    for (const failure of agent.failures) {
      const w = failure.when;
      const matches =
        w.has.every((f) => output.features.has(f)) &&
        w.missing.every((f) => !output.features.has(f)) &&
        w.contextHas.every((f) => context.features.has(f)) &&
        w.contextMissing.every((f) => !context.features.has(f)) &&
        (w.wrong === undefined || (problem !== undefined && w.wrong === output.wrong));
      if (matches) shown.set(failure, (shown.get(failure) ?? 0) + 1);
    }
  }
  return shown;
}

interface OptimizerProposal {
  analysis: string;
  modification: string;
  prompt: string;
}

/** Fixes for the shown failures that the current prompt does not already have, most-shown first. */
function groundedFixes(agent: WorldAgent, promptText: string, shown: ReadonlyMap<FailureSignature, number>): FailureSignature[] {
  const present = detectDirectives(agent, promptText);
  return [...shown.entries()]
    .filter(([failure]) => ("add" in failure.fix ? !present.has(failure.fix.add) : present.has(failure.fix.remove)))
    .sort((x, y) => y[1] - x[1])
    .map(([f]) => f);
}

function applyFix(agent: WorldAgent, prompt: string, failure: FailureSignature, rng: Rng): OptimizerProposal {
  const fix = failure.fix;
  const id = "add" in fix ? fix.add : fix.remove;
  const directive = agent.directives.find((d) => d.id === id);
  if (!directive) return { analysis: failure.describe, modification: "No change.", prompt };
  if ("add" in fix) {
    return {
      analysis: `The failing traces show that ${failure.describe}.`,
      modification: `Added an instruction: ${directive.summary}.`,
      prompt: addDirective(prompt, directive, rng.int(directive.triggers.length)),
    };
  }
  return {
    analysis: `The failing traces show that ${failure.describe}.`,
    modification: `Removed the instruction that causes it: ${directive.summary}.`,
    prompt: removeDirective(prompt, directive),
  };
}

/** The agent's own role prompt back, keeping the directives the role-less prompt carried. */
function restoreRole(agent: WorldAgent, current: string): OptimizerProposal {
  let prompt = renderAgentPrompt(agent.prompt);
  const present = detectDirectives(agent, prompt);
  const carried = detectDirectives(agent, current);
  for (const d of agent.directives) if (!present.has(d.id) && carried.has(d.id)) prompt = addDirective(prompt, d);
  return {
    analysis: `The prompt no longer tells the agent that it is the ${agent.role}, so it answers as a generic assistant and its successors get nothing they can use.`,
    modification: `Restored the ${agent.role} role and its instructions.`,
    prompt,
  };
}

const GENERIC_PROMPT = "You are a helpful assistant. Read the task and answer it clearly and concisely.";

/**
 * Directives the failing records show to be harmful: those a shown failure's fix would remove. A hard
 * negative is a candidate's output, so it can show a trap the current prompt does not have; an
 * optimizer told that this looked good locally and failed downstream does not propose it again.
 */
function refutedDirectives(shown: ReadonlyMap<FailureSignature, number>): Set<string> {
  return new Set([...shown.keys()].flatMap((failure) => ("remove" in failure.fix ? [failure.fix.remove] : [])));
}

function guess(cw: CompiledWorld, agent: WorldAgent, prompt: string, refuted: ReadonlySet<string>, rng: Rng): OptimizerProposal {
  const present = detectDirectives(agent, prompt);
  const absent = agent.directives.filter((d) => !present.has(d.id) && !refuted.has(d.id));
  const presentList = agent.directives.filter((d) => present.has(d.id));
  const w = cw.world.optimizer.ungrounded;
  const total = w.paraphrase + w.randomDirective + w.harmful;
  const roll = rng.next() * (total > 0 ? total : 1);
  if (roll < w.paraphrase || total === 0) {
    const d = presentList.length > 0 ? rng.pick(presentList) : undefined;
    if (d) {
      return {
        analysis: "Without clear evidence of a failure, the instruction can be made clearer.",
        modification: `Reworded the instruction: ${d.summary}.`,
        prompt: rephraseDirective(prompt, d, 1 + rng.int(Math.max(1, d.triggers.length - 1))),
      };
    }
    return {
      analysis: "The prompt looks reasonable.",
      modification: "Made the role emphasis explicit.",
      prompt: addSentence(prompt, "Stay focused on your role in the team."),
    };
  }
  if (roll < w.paraphrase + w.randomDirective && absent.length > 0) {
    const d = rng.pick(absent);
    return {
      analysis: "A more specific instruction may help.",
      modification: `Added an instruction: ${d.summary}.`,
      prompt: addDirective(prompt, d, rng.int(d.triggers.length)),
    };
  }
  // Harmful edits a real optimizer makes: an appealing trap, dropping something that helped, or a bland rewrite.
  const traps = absent.filter((d) => d.trap || d.skill < 0);
  const helpful = presentList.filter((d) => !d.trap && (d.skill > 0 || d.adds.length > 0));
  const options = [...(traps.length > 0 ? ["trap"] : []), ...(helpful.length > 0 ? ["drop"] : []), "generic"];
  const kind = rng.pick(options);
  if (kind === "trap") {
    const d = rng.pick(traps);
    return {
      analysis: "Outputs could be more polished.",
      modification: `Added an instruction: ${d.summary}.`,
      prompt: addDirective(prompt, d, rng.int(d.triggers.length)),
    };
  }
  if (kind === "drop") {
    const d = rng.pick(helpful);
    return {
      analysis: "The prompt is too long.",
      modification: `Simplified the prompt by removing: ${d.summary}.`,
      prompt: removeDirective(prompt, d),
    };
  }
  return { analysis: "The prompt is overly specific.", modification: "Rewrote it as a short general instruction.", prompt: GENERIC_PROMPT };
}

/** What the optimizer read in a meta-prompt: everything its proposal is made from. */
export interface OptimizerReading {
  /** The prompt under improvement. */
  current: string;
  /** The world agent the request's agent section names, if it names one. */
  named?: WorldAgent;
  /** The agent whose prompt it improves: the named one, else the one the prompt's role says. */
  agent?: WorldAgent;
  /** Traces and hard negatives, as records of labelled fields. */
  records: TraceRecord[];
  /** The failure signatures the failing records show, with how many show each. */
  shown: Map<FailureSignature, number>;
}

/** The meta-prompt read, or undefined when this is not an optimizer meta-prompt. */
export function readOptimizerRequest(ctx: ChatContext): OptimizerReading | undefined {
  const all = normalize(`${ctx.system}\n${ctx.user}`);
  if (!OPTIMIZER_CUE.test(all) || !/\bprompts?\b/.test(all)) return undefined;
  const split = splitSections(ctx.user);
  const current = extractCurrentPrompt(ctx.user, split.sections);
  if (current === undefined) return undefined;
  const agentSection = split.sections.find(
    (s) => /^(the )?agent( id| being optimi[sz]ed| to improve)?\b/.test(s.key) && !/prompt/.test(s.key),
  );
  const named = agentSection
    ? ctx.cw.world.agents.find((a) => ` ${normalize(agentSection.body)} `.includes(` ${normalize(a.id)} `))
    : undefined;
  const agent = named ?? recogniseAgent(ctx.cw, current);
  const records = agent ? readTraces(ctx.cw, split.sections) : [];
  const shown = agent ? shownFailures(ctx.cw, agent, records) : new Map<FailureSignature, number>();
  return { current, ...(named ? { named } : {}), ...(agent ? { agent } : {}), records, shown };
}

/** The optimizer's reply, or undefined when this is not an optimizer meta-prompt. */
export function optimizerReply(ctx: ChatContext): string | undefined {
  const reading = readOptimizerRequest(ctx);
  if (!reading) return undefined;
  const { current, named, agent, records, shown } = reading;
  const rng = contextRng(ctx, "optimizer", textDigest(`${ctx.system}\n${ctx.user}`));

  let proposal: OptimizerProposal;
  if (!agent) {
    proposal = { analysis: "The role of this agent is unclear.", modification: "Tightened the wording.", prompt: current };
  } else {
    const fixes = groundedFixes(agent, current, shown);
    const first = fixes[0];
    // A prompt that no longer names the agent's role makes it a generic assistant; failing traces of
    // a named agent show that, and restoring the role is the grounded fix a real optimizer makes first.
    const roleLost = named !== undefined && recogniseAgent(ctx.cw, current)?.id !== named.id;
    if (roleLost && records.some((r) => r.failing) && rng.next() < ctx.cw.world.optimizer.grounding) {
      proposal = restoreRole(agent, current);
    } else if (first && rng.next() < ctx.cw.world.optimizer.grounding) {
      proposal = applyFix(agent, current, fixes.length > 1 && rng.bool(0.3) ? (fixes[1] ?? first) : first, rng);
    } else proposal = guess(ctx.cw, agent, current, refutedDirectives(shown), rng);
  }
  if (rng.next() < ctx.cw.world.optimizer.malformedRate) {
    const json = JSON.stringify(proposal);
    return rng.bool(0.5)
      ? json.slice(0, Math.floor(json.length / 2))
      : `Here is my proposal.\n\n${proposal.modification}\n\n${proposal.prompt}`;
  }
  return jsonReply(ctx, JSON.stringify(proposal));
}

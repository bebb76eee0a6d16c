/**
 * Reading an agent call in whatever layout its framework writes it (docs/llm-protocol.md §1 is
 * maspo's): which world agent the instruction asks for, the task, and what each predecessor handed
 * over. The same meaning is read from every layout, so one simulated LLM serves every optimizer:
 * - the turn answered is the last user message; earlier user/assistant turns are demos, which never
 *   stand in for the task (nor do demos written into that turn ahead of its own task field);
 * - the role and directives come from the instruction, not from a framework's boilerplate
 *   (system-instruction.ts);
 * - the task and predecessor outputs come from headed sections (`## Task`, `## Output of <id>`), and
 *   when there is no task section, from labelled fields (`Question: …`, `[[ ## plan ## ]]`).
 * maspo's own layout takes the first path unchanged, so it reads exactly as it always has.
 */
import type { CompiledWorld } from "../world/compiled-world.js";
import { recogniseProblem } from "../world/problem.js";
import type { WorldAgent } from "../world/world-schema.js";
import { readLabelledFields } from "./labelled-fields.js";
import { findTask, splitSections, type Section } from "./message-sections.js";
import { recogniseAgent } from "./prompt-reading.js";
import { readSystemText } from "./system-instruction.js";

/** One message of a request, as text. */
export interface ChatTurn {
  role: string;
  text: string;
}

export interface AgentRequestReading {
  /** The world agent the instruction asks for; undefined when it names none. */
  agent: WorldAgent | undefined;
  /** The system text the role and directives were read from. */
  instruction: string;
  /** A framework's boilerplate was set aside from the system text. */
  boilerplate: boolean;
  /** How the task was found: a headed section, a labelled field, or the whole turn. */
  layout: "sections" | "fields" | "plain";
  task: string;
  /** Every other part of the turn: what the predecessors handed over. */
  upstream: Section[];
  /** Demos: user turns before the one answered, and demos written into it ahead of its task. */
  demos: number;
}

const TASK_LABEL = /\b(task|question|problem|input|query|request)\b/;

export function readAgentRequest(cw: CompiledWorld, system: string, turns: readonly ChatTurn[]): AgentRequestReading {
  const users = turns.filter((t) => t.role === "user");
  const turn = users[users.length - 1]?.text ?? "";
  const demos = Math.max(0, users.length - 1);
  const sys = readSystemText(system);
  const head = {
    agent: recogniseAgent(cw, sys.instruction),
    instruction: sys.instruction,
    boilerplate: sys.boilerplate,
    demos,
  };
  const split = splitSections(turn);
  const section = findTask(split);
  if (section) return { ...head, layout: "sections", task: section.body, upstream: split.sections.filter((s) => s !== section) };
  const fields = readLabelledFields(turn, {
    declared: sys.fields,
    contentMarkers: [...cw.features.values()].map((f) => f.marker),
  });
  // The last task field is the one asked: a framework that writes demos into the same turn (Ax) puts
  // them first, each with its own task field, so the fields before the last task are demos.
  // A task field names the task and holds one of the world's problems; failing that, the problem
  // decides (a predecessor's field may be called `task_plan`), and failing that, the name.
  const named = fields.filter((f) => TASK_LABEL.test(f.key) && !/\boutput\b/.test(f.key));
  const problems = fields.filter((f) => recogniseProblem(cw.templates, f.body) !== undefined);
  const tasks = [named.filter((f) => problems.includes(f)), problems, named].find((c) => c.length > 0) ?? [];
  const field = tasks[tasks.length - 1];
  if (field) {
    const upstream = tasks.length > 1 ? fields.slice(fields.indexOf(field) + 1) : fields.filter((f) => f !== field);
    return { ...head, demos: demos + tasks.length - 1, layout: "fields", task: field.body, upstream };
  }
  return { ...head, layout: "plain", task: turn, upstream: split.sections };
}

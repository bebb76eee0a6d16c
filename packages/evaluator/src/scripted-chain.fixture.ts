/**
 * A scripted three-agent chain (planner → solver → formatter) and judge for the evaluator's unit
 * tests: small, exact, and with a trap. A planner prompt asking for "only the final answer" makes the
 * planner look confident to the local judge while the solver, starved of steps, gets the sum wrong.
 */
import type { AgentGraph, LlmCallRequest, LlmCallResult, LlmCaller } from "@maspo/core";
import type { Example } from "@maspo/core";

export const chainGraph: AgentGraph = {
  final: "formatter",
  agents: [
    { id: "planner", role: "planner", predecessors: [], model: "serve" },
    { id: "solver", role: "solver", predecessors: ["planner"], model: "serve" },
    { id: "formatter", role: "formatter", predecessors: ["solver"], model: "serve" },
  ],
};

export const chainPrompts = {
  planner: "You are the planner. List the steps needed.",
  solver: "You are the solver. Follow the plan and compute.",
  formatter: "You are the formatter. Restate the answer.",
};

/** Looks better locally (confident, short), starves the solver. */
export const TRAP_PLANNER = "You are the planner. Be confident and give only the final answer.";
/** Better everywhere. */
export const GOOD_PLANNER = "You are the planner. List the steps needed, with intermediate results.";

export const minibatch: Example[] = [
  { id: "e1", input: "What is 3 + 4?", label: "7" },
  { id: "e2", input: "What is 10 + 5?", label: "15" },
  { id: "e3", input: "What is 2 + 9?", label: "11" },
];

export function scoreFinal(out: string, ex: Example): number | undefined {
  if (ex.label === undefined) return undefined;
  return out.trim() === `Final: ${ex.label}` ? 1 : 0;
}

function sumOf(task: string): number {
  return (task.match(/\d+/g) ?? []).map(Number).reduce((a, b) => a + b, 0);
}

function taskOf(user: string): string {
  return user.split("## Task\n")[1]?.split("\n\n")[0] ?? "";
}

function section(user: string, heading: string): string {
  const start = user.indexOf(`## ${heading}\n`);
  if (start === -1) return "";
  const rest = user.slice(start + heading.length + 4);
  const end = rest.search(/\n\n(## |Answer with JSON)/);
  return end === -1 ? rest : rest.slice(0, end);
}

function serve(system: string, user: string): string {
  const task = taskOf(user);
  if (system.includes("planner")) {
    if (system.includes("only the final answer")) return "CONFIDENT: the answer is obvious.";
    if (system.includes("intermediate")) return `Steps: add the numbers; intermediate total ${sumOf(task)}.`;
    return "Steps: add the numbers.";
  }
  if (system.includes("solver")) {
    const plan = section(user, "Output of planner");
    return plan.includes("Steps") ? `Answer: ${sumOf(task)}` : "Answer: 0";
  }
  if (system.includes("formatter")) {
    const solved = section(user, "Output of solver").match(/Answer: (\d+)/);
    return `Final: ${solved?.[1] ?? "?"}`;
  }
  return "unknown agent";
}

/** Judge quality of a response under a lens; the judge prefers A on equal quality (its position bias). */
function quality(lens: string, task: string, response: string): number {
  if (lens === "local") return response.includes("CONFIDENT") ? 3 : response.includes("intermediate") ? 2 : 1;
  return response.includes(String(sumOf(task))) ? 1 : 0;
}

export interface ScriptedLlm extends LlmCaller {
  calls: LlmCallRequest[];
}

export interface ScriptedOptions {
  /** Answer for a judge request instead of the scripted verdict (return undefined to fall through). */
  judgeOverride?: (req: LlmCallRequest) => string | undefined;
  /** Wait this many ms before answering (for completion-order tests). */
  delayMs?: (req: LlmCallRequest) => number;
}

export function scriptedChainLlm(opts: ScriptedOptions = {}): ScriptedLlm {
  const calls: LlmCallRequest[] = [];
  return {
    calls,
    async complete(req): Promise<LlmCallResult> {
      calls.push(req);
      const delay = opts.delayMs?.(req) ?? 0;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const system = req.messages[0]?.content ?? "";
      const user = req.messages[1]?.content ?? "";
      let content: string;
      if (req.role === "evaluator") {
        const lens = system.includes("Local Validity") ? "local" : system.includes("Lookahead") ? "lookahead" : "global";
        const task = section(user, "Task");
        const qa = quality(lens, task, section(user, "Response A"));
        const qb = quality(lens, task, section(user, "Response B"));
        const winner = qb > qa ? "B" : "A";
        content =
          opts.judgeOverride?.(req) ??
          JSON.stringify({
            winner,
            reason: lens === "local" ? `Response ${winner} is more confident and concise` : `Response ${winner} reaches the correct total`,
          });
      } else {
        content = serve(system, user);
      }
      return { content, finishReason: "stop", usage: { promptTokens: 10, completionTokens: 5 }, cached: false };
    },
  };
}

/** Wraps an LlmCaller with an exact-request memo, standing in for the content-addressed response cache. */
export function memoised(inner: LlmCaller): LlmCaller & { misses: number } {
  const memo = new Map<string, LlmCallResult>();
  const wrapper = {
    misses: 0,
    async complete(req: LlmCallRequest): Promise<LlmCallResult> {
      const { signal: _signal, ...keyed } = req;
      const key = JSON.stringify(keyed);
      const hit = memo.get(key);
      if (hit) return { ...hit, cached: true };
      wrapper.misses++;
      const result = await inner.complete(req);
      memo.set(key, result);
      return result;
    },
  };
  return wrapper;
}

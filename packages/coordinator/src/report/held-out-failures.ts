/**
 * What remains wrong on the held-out split (report section 5), read from the traces the finish
 * already ran — no call is made for it, and held-out stays untouched by the search. Each failing
 * example is put in exactly one failure mode, so the modes' counts add up to the held-out failures;
 * a mode names the agent (and the lens) that the trace points at:
 * - an agent gave no usable output (empty, refusal, error): that agent's local lens;
 * - the right answer (the label, matched as a whole token) appears in some agent's output but not
 *   in the final one: the first successor of the last agent that had it dropped it — its local lens
 *   (the agent before it set it up: that agent's lookahead);
 * - the final output contains the right answer and the metric still refuses it: the final agent's
 *   local lens (its form);
 * - no agent's output states the right answer, or there is no label: the system's global lens.
 * Label matching is a heuristic over text; the modes say where to look, not a judge's verdict.
 */
import { type AgentGraph, type Example, type Trace, successorsOf, topologicalOrder } from "@maspo/core";
import { z } from "zod";

export const FAILURE_KINDS = ["no-output", "lost-downstream", "form", "never-right", "judged-worse"] as const;

export const FailureModeSchema = z.object({
  /** The agent the traces point at; null when only the whole system's final answer is (global lens). */
  agent: z.string().nullable(),
  lens: z.enum(["local", "lookahead", "global"]),
  kind: z.enum(FAILURE_KINDS),
  count: z.number(),
  /** Up to five of its held-out example ids. */
  examples: z.array(z.string()),
  detail: z.string(),
});
export type FailureMode = z.infer<typeof FailureModeSchema>;

export const HeldOutFailuresSchema = z.object({
  examples: z.number(),
  /** Held-out examples the final prompts did not get fully right (task metric < 1; judged: lost to the baseline). */
  failed: z.number(),
  /** Of those, examples the baseline (initial prompts) got right: regressions of the final set. */
  regressed: z.number(),
  modes: z.array(FailureModeSchema),
  /** Per agent: held-out examples on which it gave no usable output under the final prompts. */
  stepFailures: z.record(z.string(), z.number()),
});
export type HeldOutFailures = z.infer<typeof HeldOutFailuresSchema>;

const MAX_EXAMPLES = 5;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Does `text` state `label` as a whole token (not as part of a longer number or word)? */
export function statesLabel(text: string, label: string): boolean {
  const l = label.trim();
  if (l === "") return false;
  return new RegExp(`(^|[^0-9A-Za-z_.])${escapeRegex(l)}(?![0-9A-Za-z_]|\\.[0-9])`, "i").test(text);
}

interface Pointer {
  agent: string | null;
  lens: FailureMode["lens"];
  kind: FailureMode["kind"];
  detail: string;
}

function pointerOf(graph: AgentGraph, order: readonly string[], trace: Trace | undefined, example: Example): Pointer {
  const failedStep = order.find((id) => trace?.steps[id] !== undefined && trace.steps[id]?.status !== "ok");
  if (trace === undefined || failedStep !== undefined) {
    const agent = failedStep ?? graph.final;
    return { agent, lens: "local", kind: "no-output", detail: `${agent} gave no usable output (empty, refused or failed)` };
  }
  const label = example.label;
  if (label === undefined) {
    return {
      agent: null,
      lens: "global",
      kind: "judged-worse",
      detail: "the final answer lost to the baseline's in the judge's comparison",
    };
  }
  if (statesLabel(trace.finalOutput, label)) {
    return {
      agent: graph.final,
      lens: "local",
      kind: "form",
      detail: `the final output states the right answer, but not in a form the metric accepts: ${graph.final}'s output format`,
    };
  }
  const having = order.filter((id) => statesLabel(trace.steps[id]?.output ?? "", label));
  const last = having[having.length - 1];
  if (last === undefined) {
    return {
      agent: null,
      lens: "global",
      kind: "never-right",
      detail: "no agent's output states the right answer: the system never computed it",
    };
  }
  const dropper = successorsOf(graph, last).find((s) => !having.includes(s)) ?? graph.final;
  return {
    agent: dropper,
    lens: "local",
    kind: "lost-downstream",
    detail: `the right answer is in ${last}'s output but ${dropper} did not carry it (${dropper}'s local lens; ${last}'s lookahead)`,
  };
}

/**
 * The held-out failures of the final prompt set, each in one mode. `scores[i]` is example i's score
 * under the final set (task metric, or the judged win rate against the baseline), `baselineScores[i]`
 * the baseline's (null when judged: the baseline is the reference). An example fails below `passAt`.
 */
export function heldOutFailures(
  graph: AgentGraph,
  examples: readonly Example[],
  finalTraces: readonly Trace[],
  scores: readonly (number | null)[],
  baselineScores: readonly (number | null)[],
  passAt: number,
): HeldOutFailures {
  const order = topologicalOrder(graph);
  const modes = new Map<string, FailureMode>();
  const stepFailures: Record<string, number> = Object.fromEntries(order.map((id) => [id, 0]));
  let failed = 0;
  let regressed = 0;
  examples.forEach((example, i) => {
    const trace = finalTraces[i];
    for (const id of order)
      if (trace?.steps[id] !== undefined && trace.steps[id]?.status !== "ok") stepFailures[id] = (stepFailures[id] ?? 0) + 1;
    const score = scores[i] ?? 0;
    if (score >= passAt) return;
    failed++;
    if ((baselineScores[i] ?? 0) >= passAt) regressed++;
    const p = pointerOf(graph, order, trace, example);
    const key = `${p.agent ?? ""}\u0000${p.kind}`;
    const mode = modes.get(key) ?? { ...p, count: 0, examples: [] };
    mode.count++;
    if (mode.examples.length < MAX_EXAMPLES) mode.examples.push(example.id);
    modes.set(key, mode);
  });
  return {
    examples: examples.length,
    failed,
    regressed,
    modes: [...modes.values()].sort(
      (a, b) => b.count - a.count || (a.agent ?? "").localeCompare(b.agent ?? "") || a.kind.localeCompare(b.kind),
    ),
    stepFailures,
  };
}

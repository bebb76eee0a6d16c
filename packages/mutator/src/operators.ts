/**
 * The five mutation operators (shared/maspo.md "Defaults"), with the ids the run spec uses. Each says
 * in one sentence what the optimizer should change, and which traces serve it best: an operator that
 * repairs failures is shown failing traces first; the one-shot operator is shown successes first,
 * since its example must come from a good trace.
 *
 * The sentence names only the evidence the meta-prompt really carries (failing or successful traces,
 * hard negatives): an instruction to fix "the failures shown in the hard negatives" of a request that
 * shows none leaves a real model looking for what is not there.
 */
import type { MutationOperator } from "@maspo/core";

/** What a meta-prompt shows, counted: the operator's sentence refers to exactly this. */
export interface ShownEvidence {
  failingTraces: number;
  successfulTraces: number;
  /** Traces whose outcome is unknown (unlabelled example, no metric). */
  otherTraces: number;
  hardNegatives: number;
}

export interface OperatorDefinition {
  id: MutationOperator;
  /** The operator's name as the meta-prompt states it (docs/llm-protocol.md §3). */
  label: string;
  /** What the optimizer is asked to do, referring only to the evidence shown. */
  instruction(shown: ShownEvidence): string;
  /** Which traces to show first when there are more than fit. */
  tracePreference: "failures-first" | "successes-first";
}

/** "the failing traces", "the hard negatives", both, or undefined when no failure is shown. */
function failuresShown(s: ShownEvidence): string | undefined {
  const parts = [...(s.failingTraces > 0 ? ["the failing traces"] : []), ...(s.hardNegatives > 0 ? ["the hard negatives"] : [])];
  return parts.length === 0 ? undefined : parts.join(" and ");
}

const anyTraces = (s: ShownEvidence) => s.failingTraces + s.successfulTraces + s.otherTraces > 0;

export const OPERATORS: Readonly<Record<MutationOperator, OperatorDefinition>> = Object.freeze({
  rephrase: {
    id: "rephrase",
    label: "rephrase instruction",
    instruction: (s) => {
      const failures = failuresShown(s);
      const evidence = failures ?? (anyTraces(s) ? "the traces" : undefined);
      return evidence
        ? `Rephrase the instructions so they are clearer and more precise about what ${evidence} show was missing or misunderstood; keep every requirement that worked.`
        : "Rephrase the instructions so they are clearer and more precise about what the agent must produce; keep every requirement.";
    },
    tracePreference: "failures-first",
  },
  add_constraint: {
    id: "add_constraint",
    label: "add constraint",
    instruction: (s) => {
      const failures = failuresShown(s);
      return failures
        ? `Add one explicit constraint — a rule every output must follow — that would have prevented the failures shown in ${failures}.`
        : "Add one explicit constraint — a rule every output must follow — that makes the agent's output more useful downstream, toward a correct final answer.";
    },
    tracePreference: "failures-first",
  },
  add_one_shot: {
    id: "add_one_shot",
    label: "add one-shot example",
    instruction: (s) =>
      s.successfulTraces > 0
        ? "Add one worked example to the prompt, built from a successful trace below (its input and the agent's output), that shows the behaviour which led to a correct final answer."
        : anyTraces(s)
          ? "Add one worked example to the prompt, built from a trace below (its input, and the output the agent should have given), that shows the behaviour that leads to a correct final answer."
          : "Add one worked example to the prompt (an input of this task and the output the agent should give) that shows the behaviour that leads to a correct final answer.",
    tracePreference: "successes-first",
  },
  add_negative: {
    id: "add_negative",
    label: "add negative example",
    instruction: (s) => {
      const source =
        s.hardNegatives > 0 && s.failingTraces > 0
          ? "taken from a hard negative (or a failing trace) below"
          : s.hardNegatives > 0
            ? "taken from a hard negative below"
            : s.failingTraces > 0
              ? "taken from a failing trace below"
              : undefined;
      return source
        ? `Add one negative example to the prompt, ${source}: show the kind of output to avoid and say why it fails downstream even though it may look good on its own.`
        : "Add one negative example to the prompt: an output of the kind to avoid, and why it would fail downstream even though it may look good on its own.";
    },
    tracePreference: "failures-first",
  },
  reorder_steps: {
    id: "reorder_steps",
    label: "reorder steps",
    instruction: () =>
      "Reorder the prompt's steps and instructions so that what the next agent and the final answer depend on most comes first; change wording only where the new order needs it.",
    tracePreference: "failures-first",
  },
});

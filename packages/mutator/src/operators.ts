/**
 * The five mutation operators (shared/maspo.md "Defaults"), with the ids the run spec uses. Each says
 * in one sentence what the optimizer should change, and which traces serve it best: an operator that
 * repairs failures is shown failing traces first; the one-shot operator is shown successes first,
 * since its example must come from a good trace.
 */
import type { MutationOperator } from "@maspo/core";

export interface OperatorDefinition {
  id: MutationOperator;
  /** The operator's name as the meta-prompt states it (docs/llm-protocol.md §3). */
  label: string;
  /** What the optimizer is asked to do. */
  instruction: string;
  /** Which traces to show first when there are more than fit. */
  tracePreference: "failures-first" | "successes-first";
}

export const OPERATORS: Readonly<Record<MutationOperator, OperatorDefinition>> = Object.freeze({
  rephrase: {
    id: "rephrase",
    label: "rephrase instruction",
    instruction:
      "Rephrase the instructions so they are clearer and more precise about what the failing traces show was missing or misunderstood; keep every requirement that worked.",
    tracePreference: "failures-first",
  },
  add_constraint: {
    id: "add_constraint",
    label: "add constraint",
    instruction:
      "Add one explicit constraint — a rule every output must follow — that would have prevented the failures shown in the traces and hard negatives.",
    tracePreference: "failures-first",
  },
  add_one_shot: {
    id: "add_one_shot",
    label: "add one-shot example",
    instruction:
      "Add one worked example to the prompt, built from a successful trace below (its input and the agent's output), that shows the behaviour which led to a correct final answer.",
    tracePreference: "successes-first",
  },
  add_negative: {
    id: "add_negative",
    label: "add negative example",
    instruction:
      "Add one negative example to the prompt, taken from a hard negative (or a failing trace) below: show the kind of output to avoid and say why it fails downstream even though it may look good on its own.",
    tracePreference: "failures-first",
  },
  reorder_steps: {
    id: "reorder_steps",
    label: "reorder steps",
    instruction:
      "Reorder the prompt's steps and instructions so that what the next agent and the final answer depend on most comes first; change wording only where the new order needs it.",
    tracePreference: "failures-first",
  },
});

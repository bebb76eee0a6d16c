/**
 * What the run's task is, in the spec's words (`task.name`, `task.input.description`,
 * `task.output.description`): the judge and the optimizer are told it, so a real model knows what an
 * input looks like and what the system's final answer must be, not only the one example in front of it.
 */
import { z } from "zod";

export const TaskDescriptionSchema = z.object({
  name: z.string(),
  /** What one task input looks like. */
  input: z.string(),
  /** What the system's final answer looks like. */
  output: z.string(),
});
export type TaskDescription = z.infer<typeof TaskDescriptionSchema>;

/**
 * The `## Task description` section a judge or optimizer request carries (docs/llm-protocol.md §2, §3):
 * one `Label: value` line each, whitespace collapsed so a description can never open a section.
 */
export function renderTaskDescription(d: TaskDescription): string {
  const line = (label: string, value: string) => `${label}: ${value.replace(/\s+/g, " ").trim()}`;
  return ["## Task description", line("Task", d.name), line("Input", d.input), line("Final answer", d.output)].join("\n");
}

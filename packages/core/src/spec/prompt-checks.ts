/**
 * Checks that prompts and agents match one to one: every agent starts from a stated prompt, and no
 * prompt is written for an agent that does not exist (usually a typo in one of the two ids).
 */
import type { Issue } from "../errors.js";
import { didYouMean } from "../did-you-mean.js";
import { formatPath } from "../issue-path.js";
import type { SpecSketch } from "./spec-sketch.js";

export function checkPrompts(sketch: SpecSketch): Issue[] {
  if (sketch.promptIds === undefined) return [];
  const agentIds = new Set(sketch.agents.map((a) => a.id));
  const promptIds = new Set(sketch.promptIds);
  const issues: Issue[] = [];
  for (const a of sketch.agents) {
    if (promptIds.has(a.id)) continue;
    const hint = didYouMean(
      a.id,
      [...promptIds].filter((p) => !agentIds.has(p)),
    );
    const issue: Issue = {
      path: formatPath(["prompts", a.id]),
      expected: `an initial prompt for agent "${a.id}" (text, or {role, instructions, outputFormat?, constraints?})`,
      found: "nothing: the agent has no prompt",
    };
    if (hint) issue.hint = `a prompt is written for another id: ${hint}`;
    issues.push(issue);
  }
  for (const id of sketch.promptIds) {
    if (agentIds.has(id)) continue;
    const issue: Issue = {
      path: formatPath(["prompts", id]),
      expected: "a prompt for an agent declared in graph.agents",
      found: `a prompt for unknown agent "${id}"`,
    };
    const hint = didYouMean(id, agentIds);
    if (hint) issue.hint = hint;
    issues.push(issue);
  }
  return issues;
}

/**
 * Checks that the agent graph is one MASPO can optimize: unique ids, known predecessors, no cycles
 * (each named, e.g. `a → b → a`), a known final agent that every agent's output reaches, and a shape
 * that matches the declared topology.
 */
import type { Issue } from "../errors.js";
import { didYouMean } from "../did-you-mean.js";
import { formatPath } from "../issue-path.js";
import type { SketchAgent, SpecSketch } from "./spec-sketch.js";

function issue(path: Issue["path"], expected: string, found: string, hint?: string): Issue {
  return hint === undefined ? { path, expected, found } : { path, expected, found, hint };
}

function uniqueAgents(agents: readonly SketchAgent[], issues: Issue[]): Map<string, SketchAgent> {
  const byId = new Map<string, SketchAgent>();
  for (const a of agents) {
    const first = byId.get(a.id);
    if (first) {
      issues.push(issue(formatPath([...a.path, "id"]), "a unique agent id", `"${a.id}" again (first at ${formatPath(first.path)})`));
    } else byId.set(a.id, a);
  }
  return byId;
}

function predecessorIssues(byId: ReadonlyMap<string, SketchAgent>): Issue[] {
  const issues: Issue[] = [];
  const ids = [...byId.keys()];
  for (const a of byId.values()) {
    const seen = new Set<string>();
    for (const p of a.predecessors) {
      if (!byId.has(p.id)) {
        issues.push(issue(formatPath(p.path), "the id of an agent in graph.agents", `unknown agent "${p.id}"`, didYouMean(p.id, ids)));
      } else if (seen.has(p.id)) {
        issues.push(issue(formatPath(p.path), "each predecessor listed once", `"${p.id}" listed again`));
      }
      seen.add(p.id);
    }
  }
  return issues;
}

/** Every elementary cycle found by a depth-first search, each reported once, named in data-flow order. */
function cycleIssues(byId: ReadonlyMap<string, SketchAgent>): Issue[] {
  const successors = new Map<string, string[]>();
  for (const a of byId.values()) successors.set(a.id, []);
  for (const a of byId.values()) for (const p of a.predecessors) if (byId.has(p.id)) successors.get(p.id)?.push(a.id);

  const issues: Issue[] = [];
  const reported = new Set<string>();
  const state = new Map<string, "active" | "done">();
  const stack: string[] = [];

  const visit = (id: string): void => {
    state.set(id, "active");
    stack.push(id);
    for (const next of successors.get(id) ?? []) {
      const s = state.get(next);
      if (s === "active") {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const key = [...new Set(cycle)].sort().join("\u0000");
        if (!reported.has(key)) {
          reported.add(key);
          const closing = byId.get(next)?.predecessors.find((p) => p.id === id);
          issues.push(
            issue(
              formatPath(closing?.path ?? ["graph", "agents"]),
              "an acyclic graph: no agent may depend, directly or through others, on its own output",
              `a cycle: ${cycle.join(" → ")}`,
            ),
          );
        }
      } else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(id, "done");
  };
  for (const id of byId.keys()) if (!state.has(id)) visit(id);
  return issues;
}

function finalAndReachabilityIssues(sketch: SpecSketch, byId: ReadonlyMap<string, SketchAgent>): Issue[] {
  if (sketch.final === undefined || byId.size === 0) return [];
  const final = sketch.final;
  if (!byId.has(final)) {
    return [issue("graph.final", "the id of an agent in graph.agents", `unknown agent "${final}"`, didYouMean(final, byId.keys()))];
  }
  // Walk backwards from the final agent: whatever it reaches feeds the final answer.
  const reaches = new Set<string>([final]);
  const queue = [final];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    for (const p of byId.get(id)?.predecessors ?? []) {
      if (byId.has(p.id) && !reaches.has(p.id)) {
        reaches.add(p.id);
        queue.push(p.id);
      }
    }
  }
  const issues: Issue[] = [];
  for (const a of byId.values()) {
    if (!reaches.has(a.id)) {
      issues.push(
        issue(
          formatPath(a.path),
          `an agent whose output reaches the final agent "${final}"`,
          `agent "${a.id}", unreachable: no path from it to "${final}", so its output is never used`,
          `list "${a.id}" among the predecessors of an agent on the way to "${final}", or remove it`,
        ),
      );
    }
  }
  return issues;
}

function topologyIssues(sketch: SpecSketch, byId: ReadonlyMap<string, SketchAgent>): Issue[] {
  const agents = [...byId.values()];
  if (sketch.topology === "sequential") {
    const problems: string[] = [];
    for (const a of agents) {
      if (a.predecessors.length > 1) problems.push(`"${a.id}" has ${a.predecessors.length} predecessors`);
      const successors = agents.filter((b) => b.predecessors.some((p) => p.id === a.id));
      if (successors.length > 1) problems.push(`"${a.id}" feeds ${successors.length} agents`);
    }
    if (problems.length > 0) {
      return [
        issue(
          "graph.topology",
          'a chain (each agent with at most one predecessor and one successor), or topology "dag"',
          `"sequential", but ${problems.join("; ")}`,
        ),
      ];
    }
  }
  if (sketch.topology === "hierarchical") {
    const roots = agents.filter((a) => a.predecessors.length === 0).map((a) => `"${a.id}"`);
    if (roots.length > 1) {
      return [
        issue(
          "graph.topology",
          'one root agent (without predecessors) that the others descend from, or topology "dag"',
          `"hierarchical" with ${roots.length} roots: ${roots.join(", ")}`,
        ),
      ];
    }
  }
  return [];
}

export function checkGraph(sketch: SpecSketch): Issue[] {
  const issues: Issue[] = [];
  const byId = uniqueAgents(sketch.agents, issues);
  issues.push(
    ...predecessorIssues(byId),
    ...cycleIssues(byId),
    ...finalAndReachabilityIssues(sketch, byId),
    ...topologyIssues(sketch, byId),
  );
  return issues;
}

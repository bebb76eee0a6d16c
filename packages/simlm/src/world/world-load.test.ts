import { readFileSync } from "node:fs";
import { ValidationError } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { stringify, parse } from "yaml";
import { bundledWorldNames, bundledWorldPath, loadWorld, parseWorldYaml, WorldNotFoundError } from "./world-load.js";

function mathChainDoc(): Record<string, unknown> {
  return parse(readFileSync(bundledWorldPath("math-chain"), "utf8")) as Record<string, unknown>;
}

function issuesOf(fn: () => unknown): Array<{ path: string; expected: string; found: string; hint?: string }> {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return [...(e as ValidationError).issues];
  }
  throw new Error("expected a ValidationError");
}

describe("loadWorld", () => {
  it("loads every bundled world by name", () => {
    for (const name of bundledWorldNames()) expect(loadWorld(name).name).toBe(name);
  });

  it("loads a world file by path", () => {
    expect(loadWorld(bundledWorldPath("hier-research")).final).toBe("aggregator");
  });

  it("names the bundled worlds when a world is unknown", () => {
    expect(() => loadWorld("no-such-world")).toThrow(WorldNotFoundError);
    expect(() => loadWorld("no-such-world")).toThrow(/math-chain/);
  });

  it("reports every problem of a malformed world file by its path", () => {
    const doc = mathChainDoc();
    const agents = doc.agents as Array<Record<string, unknown>>;
    const data = doc.data as Record<string, unknown>;
    const templates = data.templates as Array<Record<string, unknown>>;
    (agents[1] as Record<string, unknown>).predecessors = ["planer"];
    (agents[0] as Record<string, unknown>).emits = ["vague_plan", "quantitees"];
    (agents[2] as Record<string, unknown>).skill = "high";
    (templates[0] as Record<string, unknown>).answer = "a + * b";
    data.heldOut = 0;
    doc.colour = "blue";
    const issues = issuesOf(() => parseWorldYaml(stringify(doc), "broken.yaml"));
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["agents[2].skill", "data.heldOut", "colour"]));
    // Shape errors come first; once the shape is right, the cross-references are checked in one pass too.
    (agents[2] as Record<string, unknown>).skill = 1.6;
    data.heldOut = 10;
    delete doc.colour;
    const second = issuesOf(() => parseWorldYaml(stringify(doc), "broken.yaml"));
    const byPath = new Map(second.map((i) => [i.path, i]));
    expect(byPath.get("agents[1].predecessors[0]")?.hint).toBe('did you mean "planner"?');
    expect(byPath.get("agents[0].emits[1]")?.hint).toBe('did you mean "quantities"?');
    expect(byPath.get("data.templates[0].answer")?.found).toBe('"a + * b"');
  });

  it("rejects a graph with a cycle", () => {
    const doc = mathChainDoc();
    const agents = doc.agents as Array<Record<string, unknown>>;
    (agents[0] as Record<string, unknown>).predecessors = ["formatter"];
    const issues = issuesOf(() => parseWorldYaml(stringify(doc), "cycle.yaml"));
    expect(issues.some((i) => i.path === "agents" && /acyclic/.test(i.expected))).toBe(true);
  });

  it("rejects a trigger phrase that another directive of the same agent also carries", () => {
    const doc = mathChainDoc();
    const planner = (doc.agents as Array<{ directives: Array<{ triggers: string[] }> }>)[0];
    planner?.directives[1]?.triggers.push("list every quantity given in the problem");
    const issues = issuesOf(() => parseWorldYaml(stringify(doc), "overlap.yaml"));
    expect(
      issues.some((i) => i.path.startsWith("agents[0].directives[1].triggers[3]") || i.path.startsWith("agents[0].directives[0].triggers")),
    ).toBe(true);
  });

  it("rejects a task text whose variables cannot be read back", () => {
    const doc = mathChainDoc();
    const t = ((doc.data as Record<string, unknown>).templates as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
    t.text = "Mia has {a}{b} marbles and bags of {c}.";
    const issues = issuesOf(() => parseWorldYaml(stringify(doc), "text.yaml"));
    expect(issues.some((i) => i.path === "data.templates[0].text" && /literal text between/.test(i.expected))).toBe(true);
  });

  it("reports YAML syntax errors with their line", () => {
    const issues = issuesOf(() => parseWorldYaml("name: [unclosed", "syntax.yaml"));
    expect(issues[0]?.expected).toBe("valid YAML");
  });
});

import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { loadSpecFile } from "./load.js";
import { applyOverrides, parseOverride } from "./overrides.js";

const doc = { search: { beamSize: 5 }, graph: { agents: [{ id: "a" }, { id: "b", model: "x" }] }, name: "demo" };

describe("spec overrides", () => {
  it("reads path=value with the value as YAML: numbers, lists, objects, bare strings", () => {
    expect(parseOverride("search.beamSize=8")).toEqual({ path: "search.beamSize", value: 8 });
    expect(parseOverride("search.operators=[rephrase, add_constraint]").value).toEqual(["rephrase", "add_constraint"]);
    expect(parseOverride("weights={local: 0.4, lookahead: 0.4, global: 0.2, reason: sweep}").value).toMatchObject({ reason: "sweep" });
    expect(parseOverride("name=a=b")).toEqual({ path: "name", value: "a=b" });
  });

  it("reads a value with ': ' in it as the text it says, not as a YAML mapping (a reason is a sentence)", () => {
    expect(parseOverride("search.reason=one round: every test fails").value).toBe("one round: every test fails");
    expect(parseOverride("weights={local: 0.5, lookahead: 0.3, global: 0.2}").value).toEqual({ local: 0.5, lookahead: 0.3, global: 0.2 });
  });

  it("sets fields by path, into lists by index, creating missing objects, leaving the input unchanged", () => {
    const out = applyOverrides(doc, [
      { path: "search.beamSize", value: 8 },
      { path: "graph.agents[1].model", value: "gpt" },
      { path: "stop.budgetUsd", value: 1 },
    ]) as typeof doc & { stop: { budgetUsd: number } };
    expect(out.search.beamSize).toBe(8);
    expect(out.graph.agents[1]).toEqual({ id: "b", model: "gpt" });
    expect(out.stop.budgetUsd).toBe(1);
    expect(doc.search.beamSize).toBe(5);
  });

  it("refuses every bad path at once, naming each", () => {
    let error: unknown;
    try {
      applyOverrides(doc, [
        { path: "name.first", value: 1 },
        { path: "graph.agents[7].model", value: "gpt" },
        { path: "graph.agents.model", value: "gpt" },
        { path: "", value: 1 },
      ]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const issues = (error as ValidationError).issues;
    expect(issues.map((i) => i.path)).toEqual(["name.first", "graph.agents[7].model", "graph.agents.model", ""]);
    expect(issues[0]?.found).toContain('"demo" at name, which has no fields');
    expect(issues[1]?.found).toContain("has 2 items; no index 7");
  });

  it("refuses an argument without '=' with the form it expects", () => {
    expect(() => parseOverride("search.beamSize")).toThrow(/expected path=value/);
  });
});

describe("loadSpecFile with overrides", () => {
  const file = new URL("../../../../examples/math-chain.yaml", import.meta.url).pathname;

  it("validates an overridden value like one written in the file, and the run's spec carries it", async () => {
    const spec = await loadSpecFile(file, {
      overrides: [
        { path: "search.beamSize", value: 3 },
        { path: "search.reason", value: "a smaller beam, for the test" },
        { path: "seed", value: 7 },
      ],
    });
    expect(spec.search.beamSize).toBe(3);
    expect(spec.seed).toBe(7);
  });

  it("refuses an override of K without a reason, from the command line as from the file", async () => {
    const err = await loadSpecFile(file, { overrides: [{ path: "search.beamSize", value: 3 }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const issue = (err as ValidationError).issues.find((i) => i.path === "search.beamSize");
    expect(issue?.found).toBe("3 and no search.reason");
    expect(issue?.hint).toContain("set by override search.beamSize");
    expect((err as ValidationError).code).toBe("E_VALIDATION");
  });

  it("reports a bad path and bad values together, each naming the override that set it", async () => {
    const err = await loadSpecFile(file, {
      overrides: [
        { path: "search.beamSize", value: -1 },
        { path: "graph.agents[9].model", value: "x" },
      ],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const issues = (err as ValidationError).issues;
    expect(issues.map((i) => i.path).sort()).toEqual(["graph.agents[9].model", "search.beamSize"]);
    expect(issues.find((i) => i.path === "search.beamSize")?.hint).toContain("set by override search.beamSize");
  });
});

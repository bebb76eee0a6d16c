import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { parse } from "yaml";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { loadSpecFile } from "./load.js";

const YAML_SPEC = `
task:
  name: sums
  input: { description: a sum }
  output: { description: the result }
  metric: { kind: judge }
models:
  sim: { baseURL: "simlm://math-chain", model: sim, price: { inputPerMTok: 0, outputPerMTok: 0 } }
graph:
  topology: sequential
  final: b
  agents:
    - { id: a, role: planner, model: sim }
    - { id: b, role: solver, predecessors: [a], model: sim }
prompts:
  a: You are the planner.
  b: You are the solver.
dataset:
  source:
    kind: jsonl
    train: data/train.jsonl
    heldOut: data/heldout.jsonl
  heldOutUsedForTuning: false
evaluation: { model: sim }
optimizer: { model: sim }
guards: { finalMetricFloor: null, localValidityFloor: null, tokensPerRoundMax: null }
stop: { deadline: 2h }
`;

/** A temp dir with the spec's JSONL dataset in data/. */
function specDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "maspo-load-"));
  mkdirSync(join(dir, "data"));
  writeFileSync(join(dir, "data", "train.jsonl"), '{"id":"1","input":"1+1"}\n');
  writeFileSync(join(dir, "data", "heldout.jsonl"), '{"id":"2","input":"2+2"}\n');
  return dir;
}

async function issuesOfFile(file: string): Promise<ValidationError> {
  try {
    await loadSpecFile(file, { env: {} });
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`${file} loaded without problems`);
}

describe("loadSpecFile", () => {
  it("loads YAML, resolving dataset paths against the spec file's directory", async () => {
    const dir = specDir();
    writeFileSync(join(dir, "spec.yaml"), YAML_SPEC);
    const spec = await loadSpecFile(join(dir, "spec.yaml"), { env: {} });
    expect(spec.dataset.source).toEqual({ kind: "jsonl", train: join(dir, "data/train.jsonl"), heldOut: join(dir, "data/heldout.jsonl") });
    expect(spec.graph.agents[0]?.predecessors).toEqual([]);
  });

  it("loads the same spec written as JSON", async () => {
    const dir = specDir();
    writeFileSync(join(dir, "spec.json"), JSON.stringify(parse(YAML_SPEC), null, 2));
    const fromJson = await loadSpecFile(join(dir, "spec.json"), { env: {} });
    writeFileSync(join(dir, "spec.yaml"), YAML_SPEC);
    expect(fromJson).toEqual(await loadSpecFile(join(dir, "spec.yaml"), { env: {} }));
  });

  it("reports YAML syntax errors with line and column", async () => {
    const dir = specDir();
    writeFileSync(join(dir, "spec.yaml"), "task:\n  name: [unclosed\nmodels: {}\n");
    const error = await issuesOfFile(join(dir, "spec.yaml"));
    expect(error.issues[0]?.path).toMatch(/^line \d+, column \d+$/);
    expect(error.issues[0]?.expected).toBe("valid YAML");
  });

  it("reports a duplicate key as a syntax error", async () => {
    const dir = specDir();
    writeFileSync(join(dir, "spec.yaml"), YAML_SPEC.replace("seed", "x") + "stop: { deadline: 1h }\n");
    const error = await issuesOfFile(join(dir, "spec.yaml"));
    expect(error.issues.some((i) => /unique/i.test(i.found))).toBe(true);
  });

  it("points each problem at the line of its value", async () => {
    const dir = specDir();
    writeFileSync(join(dir, "spec.yaml"), YAML_SPEC.replace("predecessors: [a]", "predecessors: [z]"));
    const error = await issuesOfFile(join(dir, "spec.yaml"));
    const issue = error.issues.find((i) => i.path === "graph.agents[1].predecessors[0]");
    const line = YAML_SPEC.split("\n").findIndex((l) => l.includes("predecessors: [a]")) + 1;
    expect(issue?.hint).toBe(`line ${line}`);
    expect(error.code).toBe("E_VALIDATION");
    expect(error.message).toContain("graph.agents[1].predecessors[0]: expected the id of an agent in graph.agents");
  });

  it("refuses a missing file and an empty document", async () => {
    const dir = specDir();
    expect((await issuesOfFile(join(dir, "nope.yaml"))).issues[0]?.found).toMatch(/^no file at /);
    writeFileSync(join(dir, "empty.yaml"), "# nothing\n");
    expect((await issuesOfFile(join(dir, "empty.yaml"))).issues[0]?.found).toBe("an empty document");
  });
});

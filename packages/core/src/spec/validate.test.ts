import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Issue } from "../errors.js";
import { runSpecJsonSchema } from "./json-schema.js";
import { DEFAULT_WEIGHTS, MUTATION_OPERATORS, PAPER_WEIGHTS } from "./schema.js";
import { startingConfigOverrides } from "./starting-config.js";
import { type ValidateOptions, validateSpec } from "./validate.js";

type Json = Record<string, unknown>;

/** A small valid spec as plain data; each test breaks one thing in its own copy. */
function validSpec(): Json {
  return {
    task: {
      name: "sums",
      input: { description: "a sum" },
      output: { description: "Answer: <n>" },
      metric: { kind: "exact_match", extract: "Answer:\\s*(\\d+)" },
    },
    models: {
      sim: { baseURL: "simlm://math-chain", model: "sim", price: { inputPerMTok: 0, outputPerMTok: 0 } },
    },
    graph: {
      topology: "sequential",
      final: "c",
      agents: [
        { id: "a", role: "planner", predecessors: [], model: "sim" },
        { id: "b", role: "solver", predecessors: ["a"], model: "sim" },
        { id: "c", role: "formatter", predecessors: ["b"], model: "sim" },
      ],
    },
    prompts: {
      a: "You are the planner.",
      b: { role: "solver", instructions: "Solve it." },
      c: { role: "formatter", instructions: "Format it.", outputFormat: "Answer: <n>", constraints: ["one line"] },
    },
    dataset: {
      source: {
        kind: "inline",
        train: [
          { id: "t1", input: "1+1", label: "2" },
          { id: "t2", input: "2+2", label: "4" },
        ],
        heldOut: [{ id: "h1", input: "3+3", label: "6" }],
      },
      heldOutUsedForTuning: false,
    },
    evaluation: { model: "sim" },
    optimizer: { model: "sim" },
    guards: { finalMetricFloor: null, localValidityFloor: null, tokensPerRoundMax: null },
    stop: { deadline: "30m" },
  };
}

const OPTS: ValidateOptions = { env: {}, baseDir: "/nonexistent-base" };

async function issuesOf(spec: unknown, opts: ValidateOptions = OPTS): Promise<Issue[]> {
  const result = await validateSpec(spec, opts);
  return result.ok ? [] : result.issues;
}

function at(issues: readonly Issue[], path: string): Issue {
  const found = issues.find((i) => i.path === path);
  if (!found) throw new Error(`no issue at ${path}; issues:\n${issues.map((i) => `${i.path}: ${i.expected} / ${i.found}`).join("\n")}`);
  return found;
}

function graphOf(spec: Json): { agents: Json[]; final: string; topology: string } {
  return spec["graph"] as { agents: Json[]; final: string; topology: string };
}

describe("validateSpec: a valid spec", () => {
  it("accepts the spec and fills exactly the method's defaults", async () => {
    const result = await validateSpec(validSpec(), OPTS);
    if (!result.ok) throw new Error(JSON.stringify(result.issues, null, 2));
    const spec = result.spec;
    expect(spec.search).toEqual({
      beamSize: 5,
      rounds: 10,
      epochs: 3,
      operators: [...MUTATION_OPERATORS],
      childrenPerParent: 2,
      minibatchSize: 10,
      stepsPerAgent: 1,
    });
    expect(spec.misalignment).toEqual({ bufferBudget: 50, casesPerStep: 3 });
    expect(spec.weights).toEqual(DEFAULT_WEIGHTS);
    expect(spec.stop.patience).toBe(3);
    expect(spec.seed).toBe(0);
    expect(spec.optimizer.temperature).toBe(0.7);
    expect(spec.concurrency).toEqual({ maxInFlight: 64, evaluationShardSize: 2 });
    expect(spec.cluster).toEqual({ ackWaitMs: 10000, maxDeliver: 5, maxAckPending: 256, backoffMs: [1000, 5000, 15000] });
    expect(spec.models["sim"]).toMatchObject({ concurrency: 8, timeoutMs: 60000, maxRetries: 5 });
    expect(spec.task.metric).toEqual({ kind: "exact_match", extract: "Answer:\\s*(\\d+)", caseSensitive: false });
  });

  it("gives the paper preset 0.4/0.4/0.2 with its reason recorded", async () => {
    const spec = validSpec();
    spec["weights"] = { preset: "paper" };
    const result = await validateSpec(spec, OPTS);
    expect(result.ok && result.spec.weights).toEqual(PAPER_WEIGHTS);
    expect(PAPER_WEIGHTS.reason).toMatch(/weight sweep/);
  });

  it("accepts an override of the weights that sums to 1 and gives a reason", async () => {
    const spec = validSpec();
    spec["weights"] = { local: 0.2, lookahead: 0.3, global: 0.5, reason: "final answers matter most here" };
    const result = await validateSpec(spec, OPTS);
    expect(result.ok && result.spec.weights).toEqual({ local: 0.2, lookahead: 0.3, global: 0.5, reason: "final answers matter most here" });
  });
});

describe("validateSpec: refusals", () => {
  it("names every missing required field", async () => {
    const spec = validSpec();
    delete spec["guards"];
    delete spec["evaluation"];
    delete (spec["stop"] as Json)["deadline"];
    delete (spec["dataset"] as Json)["heldOutUsedForTuning"];
    const issues = await issuesOf(spec);
    for (const path of ["guards", "evaluation", "stop.deadline", "dataset.heldOutUsedForTuning"]) {
      expect(at(issues, path).expected).toMatch(/required/);
      expect(at(issues, path).found).toMatch(/missing/);
    }
  });

  it("requires each guard floor to be stated, accepting null as explicitly none", async () => {
    const spec = validSpec();
    spec["guards"] = { finalMetricFloor: 0.5, localValidityFloor: null };
    const issues = await issuesOf(spec);
    expect(issues.map((i) => i.path)).toEqual(["guards.tokensPerRoundMax"]);
  });

  it("rejects unknown keys at any level with a did-you-mean", async () => {
    const spec = validSpec();
    spec["search"] = { beamsize: 3 };
    (spec["dataset"] as Json)["held_out_used_for_tuning"] = false;
    const issues = await issuesOf(spec);
    expect(at(issues, "search.beamsize").hint).toBe('did you mean "beamSize"?');
    expect(at(issues, "search.beamsize").found).toBe('unknown key "beamsize"');
    expect(at(issues, "dataset.held_out_used_for_tuning").hint).toBe('did you mean "heldOutUsedForTuning"?');
  });

  it("takes the optimizer's prompt length budget within 100-100000 characters, naming the field otherwise", async () => {
    const withBudget = (promptBudgetChars: number) => ({ ...validSpec(), optimizer: { model: "sim", promptBudgetChars } });
    const result = await validateSpec(withBudget(2500), OPTS);
    if (!result.ok) throw new Error(JSON.stringify(result.issues, null, 2));
    expect(result.spec.optimizer.promptBudgetChars).toBe(2500);
    expect(at(await issuesOf(withBudget(50)), "optimizer.promptBudgetChars")).toBeDefined();
    expect(at(await issuesOf(withBudget(100_001)), "optimizer.promptBudgetChars")).toBeDefined();
  });

  it("rejects an unknown key with no close match, listing the allowed keys", async () => {
    const spec = validSpec();
    spec["frobnicate"] = 1;
    const issue = at(await issuesOf(spec), "frobnicate");
    expect(issue.expected).toMatch(/one of the known keys: .*task.*models/);
    expect(issue.hint).toBeUndefined();
  });

  it("refuses a literal API key without echoing it, pointing to apiKeyEnv", async () => {
    const spec = validSpec();
    (spec["models"] as Record<string, Json>)["sim"]!["apiKey"] = "sk-live-SECRET";
    const issues = await issuesOf(spec);
    const issue = at(issues, "models.sim.apiKey");
    expect(issue.expected).toMatch(/apiKeyEnv/);
    expect(JSON.stringify(issues)).not.toContain("SECRET");
  });

  it("does not echo a key pasted into apiKeyEnv", async () => {
    const spec = validSpec();
    (spec["models"] as Record<string, Json>)["sim"] = {
      baseURL: "https://api.example.com/v1",
      model: "m",
      apiKeyEnv: "sk-live-SECRET-123",
      price: { inputPerMTok: 1, outputPerMTok: 2 },
    };
    const issues = await issuesOf(spec);
    expect(issues).toHaveLength(1);
    expect(at(issues, "models.sim.apiKeyEnv").expected).toMatch(/NAME of an environment variable/);
    expect(JSON.stringify(issues)).not.toContain("SECRET");
  });

  it("refuses predecessors that are not agents, suggesting the close id", async () => {
    const spec = validSpec();
    graphOf(spec).agents[1]!["predecessors"] = ["aa"];
    const issue = at(await issuesOf(spec), "graph.agents[1].predecessors[0]");
    expect(issue.found).toBe('unknown agent "aa"');
    expect(issue.hint).toBe('did you mean "a"?');
  });

  it("names a cycle in data-flow order", async () => {
    const spec = validSpec();
    graphOf(spec).topology = "dag";
    graphOf(spec).agents[0]!["predecessors"] = ["c"];
    const issues = await issuesOf(spec);
    const cycle = issues.filter((i) => i.found.startsWith("a cycle"));
    expect(cycle).toHaveLength(1);
    expect(cycle[0]?.found).toBe("a cycle: a → b → c → a");
    expect(cycle[0]?.path).toBe("graph.agents[0].predecessors[0]");
  });

  it("names an agent that is its own predecessor as a cycle", async () => {
    const spec = validSpec();
    graphOf(spec).topology = "dag";
    graphOf(spec).agents[1]!["predecessors"] = ["a", "b"];
    expect(at(await issuesOf(spec), "graph.agents[1].predecessors[1]").found).toBe("a cycle: b → b");
  });

  it("refuses an agent without a prompt and a prompt for an unknown agent", async () => {
    const spec = validSpec();
    const prompts = spec["prompts"] as Json;
    prompts["cc"] = prompts["c"];
    delete prompts["c"];
    const issues = await issuesOf(spec);
    expect(at(issues, "prompts.c").found).toBe("nothing: the agent has no prompt");
    expect(at(issues, "prompts.c").hint).toContain('"cc"');
    expect(at(issues, "prompts.cc").found).toBe('a prompt for unknown agent "cc"');
    expect(at(issues, "prompts.cc").hint).toBe('did you mean "c"?');
  });

  it("refuses a missing final agent and an unknown one", async () => {
    const missing = validSpec();
    delete (missing["graph"] as Json)["final"];
    expect(at(await issuesOf(missing), "graph.final").expected).toMatch(/required/);

    const unknown = validSpec();
    graphOf(unknown).final = "d";
    expect(at(await issuesOf(unknown), "graph.final").found).toBe('unknown agent "d"');
  });

  it("refuses an agent whose output never reaches the final agent, naming it", async () => {
    const spec = validSpec();
    graphOf(spec).topology = "dag";
    graphOf(spec).agents.push({ id: "critic", role: "critic", predecessors: ["a"], model: "sim" });
    (spec["prompts"] as Json)["critic"] = "You are the critic.";
    const issues = await issuesOf(spec);
    expect(issues).toHaveLength(1);
    expect(at(issues, "graph.agents[3]").found).toMatch(/"critic", unreachable: no path from it to "c"/);
  });

  it("refuses a graph that does not have its declared topology", async () => {
    const spec = validSpec();
    graphOf(spec).agents[2]!["predecessors"] = ["b", "a"];
    expect(at(await issuesOf(spec), "graph.topology").found).toMatch(/"c" has 2 predecessors/);

    const hier = validSpec();
    graphOf(hier).topology = "hierarchical";
    graphOf(hier).agents[1]!["predecessors"] = [];
    graphOf(hier).agents[2]!["predecessors"] = ["a", "b"];
    expect(at(await issuesOf(hier), "graph.topology").found).toMatch(/2 roots: "a", "b"/);
  });

  it("refuses weights that do not sum to 1", async () => {
    const spec = validSpec();
    spec["weights"] = { local: 0.3, lookahead: 0.3, global: 0.3, reason: "testing" };
    const issues = await issuesOf(spec);
    expect(issues).toHaveLength(1);
    expect(at(issues, "weights").found).toBe("0.3 + 0.3 + 0.3 = 0.9");
  });

  it("refuses an override of the default weights without a reason", async () => {
    const spec = validSpec();
    spec["weights"] = { local: 0.4, lookahead: 0.4, global: 0.2 };
    const issue = at(await issuesOf(spec), "weights.reason");
    expect(issue.expected).toMatch(/reason for overriding the default weights/);
    expect(issue.hint).toMatch(/preset/);
  });

  it("refuses a held-out split that was used for tuning: a leak, not a result", async () => {
    const spec = validSpec();
    (spec["dataset"] as Json)["heldOutUsedForTuning"] = true;
    const issue = at(await issuesOf(spec), "dataset.heldOutUsedForTuning");
    expect(issue.found).toContain("that is a leak, not a result");
  });

  it("refuses an endpoint the run uses whose API key variable is unset, and only that one", async () => {
    const spec = validSpec();
    const models = spec["models"] as Json;
    const real = { baseURL: "https://api.example.com/v1", model: "big", price: { inputPerMTok: 1, outputPerMTok: 2 } };
    models["judge"] = { ...real, apiKeyEnv: "JUDGE_KEY" };
    models["unused"] = { ...real, apiKeyEnv: "UNUSED_KEY" };
    spec["evaluation"] = { local: "sim", lookahead: "sim", global: "judge" };
    const issues = await issuesOf(spec);
    expect(issues).toHaveLength(1);
    const issue = at(issues, "models.judge.apiKeyEnv");
    expect(issue.expected).toBe("environment variable JUDGE_KEY to be set: the run calls this endpoint for evaluation (global lens)");
    expect(issue.found).toBe("JUDGE_KEY unset");

    expect(await issuesOf(spec, { ...OPTS, env: { JUDGE_KEY: "k" } })).toEqual([]);
    expect(await issuesOf(spec, { ...OPTS, checkEnv: false })).toEqual([]);
  });

  it("needs no apiKeyEnv for a keyless server on this machine (localhost, 127.x, [::1])", async () => {
    for (const baseURL of ["http://localhost:11434/v1", "http://127.0.0.1:8000/v1", "http://[::1]:8080/v1"]) {
      const spec = validSpec();
      (spec["models"] as Json)["local"] = { baseURL, model: "m", price: { inputPerMTok: 0, outputPerMTok: 0 } };
      expect(await issuesOf(spec), baseURL).toEqual([]);
    }
  });

  it("requires apiKeyEnv on an http(s) endpoint", async () => {
    const spec = validSpec();
    (spec["models"] as Json)["real"] = { baseURL: "https://api.example.com/v1", model: "m", price: { inputPerMTok: 1, outputPerMTok: 2 } };
    expect(at(await issuesOf(spec), "models.real.apiKeyEnv").expected).toMatch(/required for http\(s\) endpoints/);
  });

  it("refuses a reference to an undeclared model and an agent with no serving model", async () => {
    const spec = validSpec();
    spec["optimizer"] = { model: "simm" };
    delete graphOf(spec).agents[0]!["model"];
    const issues = await issuesOf(spec);
    expect(at(issues, "optimizer.model").hint).toBe('did you mean "sim"?');
    expect(at(issues, "graph.agents[0].model").expected).toMatch(/serving.default/);
  });

  it("resolves agents without a model through serving.default", async () => {
    const spec = validSpec();
    for (const a of graphOf(spec).agents) delete a["model"];
    spec["serving"] = { default: "sim" };
    expect(await issuesOf(spec)).toEqual([]);
  });

  it("refuses train/held-out overlap in an inline dataset, by id and by normalized input", async () => {
    const spec = validSpec();
    const source = (spec["dataset"] as Json)["source"] as Json;
    source["heldOut"] = [
      { id: "t1", input: "9+9", label: "18" },
      { id: "h2", input: "  2 +2", label: "4" },
      { id: "h3", input: "2+2", label: "4" },
    ];
    const issues = await issuesOf(spec);
    expect(at(issues, "dataset.source.heldOut[0]").found).toBe('the same id "t1" as dataset.source.train[0]');
    expect(at(issues, "dataset.source.heldOut[2]").found).toBe("the same input as dataset.source.train[1]");
    expect(at(issues, "dataset.source.heldOut[2]").expected).toMatch(/leak, not a result/);
    // "  2 +2" normalizes to "2 +2", not "2+2": whitespace is collapsed, not removed.
    expect(issues.find((i) => i.path === "dataset.source.heldOut[1]")).toBeUndefined();
  });

  it("requires labels on held-out examples when the metric scores labels", async () => {
    const spec = validSpec();
    const source = (spec["dataset"] as Json)["source"] as Json;
    source["heldOut"] = [{ id: "h1", input: "3+3" }];
    expect(at(await issuesOf(spec), "dataset.source.heldOut").found).toMatch(/1 example without a label: dataset.source.heldOut\[0\]/);

    (spec["task"] as Json)["metric"] = { kind: "judge" };
    expect(await issuesOf(spec)).toEqual([]);
  });

  it("refuses the world metric without a simlm dataset", async () => {
    const spec = validSpec();
    (spec["task"] as Json)["metric"] = { kind: "world" };
    expect(at(await issuesOf(spec), "task.metric.kind").found).toBe('"world" with a inline dataset');
  });

  it("refuses an unknown dataset kind, naming the allowed ones", async () => {
    const spec = validSpec();
    (spec["dataset"] as Json)["source"] = { kind: "parquet", path: "x.parquet" };
    const issue = at(await issuesOf(spec), "dataset.source.kind");
    expect(issue.expected).toBe('one of "inline", "jsonl", "json", "csv", "simlm"');
    expect(issue.found).toBe('"parquet"');
  });

  it("refuses a malformed deadline, regex or cluster redelivery limit", async () => {
    const spec = validSpec();
    spec["stop"] = { deadline: "half an hour" };
    (spec["task"] as Json)["metric"] = { kind: "exact_match", extract: "Answer: (" };
    spec["cluster"] = { maxDeliver: 3 };
    const issues = await issuesOf(spec);
    expect(at(issues, "stop.deadline").expected).toMatch(/a duration like "90s"/);
    expect(at(issues, "task.metric.extract").expected).toBe("a valid JavaScript regular expression");
    expect(at(issues, "cluster.maxDeliver").expected).toMatch(/at least 4/);
  });

  it("reports five different problems as five errors in one run, each naming its path", async () => {
    const spec = validSpec();
    delete (spec["task"] as Json)["name"]; // missing field
    graphOf(spec).final = "d"; // unknown final agent
    spec["weights"] = { local: 0.5, lookahead: 0.5, global: 0.5, reason: "r" }; // sum
    (spec["dataset"] as Json)["heldOutUsedForTuning"] = true; // leak
    (spec["stop"] as Json)["deadlne"] = "1h"; // unknown key
    const issues = await issuesOf(spec);
    expect(issues.map((i) => i.path).sort()).toEqual(
      ["task.name", "graph.final", "weights", "dataset.heldOutUsedForTuning", "stop.deadlne"].sort(),
    );
  });
});

describe("validateSpec: JSONL datasets", () => {
  function jsonlSpec(dir: string, train: string, heldOut: string): Json {
    writeFileSync(join(dir, "train.jsonl"), train);
    writeFileSync(join(dir, "heldout.jsonl"), heldOut);
    const spec = validSpec();
    (spec["dataset"] as Json)["source"] = { kind: "jsonl", train: "train.jsonl", heldOut: "heldout.jsonl" };
    return spec;
  }

  it("reads the files relative to baseDir and returns their absolute paths", async () => {
    const dir = mkdtempSync(join(tmpdir(), "maspo-spec-"));
    const spec = jsonlSpec(
      dir,
      '{"id":"1","input":"1+1","label":"2"}\n\n{"id":2,"input":"2+2","label":4}\n',
      '{"id":"3","input":"3+3","label":"6"}\n',
    );
    const result = await validateSpec(spec, { env: {}, baseDir: dir });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.spec.dataset.source).toEqual({ kind: "jsonl", train: join(dir, "train.jsonl"), heldOut: join(dir, "heldout.jsonl") });
  });

  it("reports malformed lines, overlap and duplicate ids with file:line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "maspo-spec-"));
    const spec = jsonlSpec(
      dir,
      [
        '{"id":"1","input":"1+1","label":"2"}',
        "{not json",
        '{"id":"2","inptu":"x","label":"1"}',
        '{"id":"1","input":"5+5","label":"10"}',
      ].join("\n"),
      ['{"id":"9","input":"1 + 1","label":"2"}', '{"id":"10","input":"1+1 ","label":"2"}'].join("\n"),
    );
    const issues = await issuesOf(spec, { env: {}, baseDir: dir });
    expect(at(issues, "train.jsonl:2").found).toMatch(/^invalid JSON/);
    expect(at(issues, "train.jsonl:3.inptu").hint).toBe('did you mean "input"?');
    expect(at(issues, "train.jsonl:3.input").expected).toMatch(/required/);
    expect(at(issues, "train.jsonl:4").found).toBe('id "1" again (first at train.jsonl:1)');
    expect(at(issues, "heldout.jsonl:2").found).toBe("the same input as train.jsonl:1");
    expect(issues.find((i) => i.path === "heldout.jsonl:1")).toBeUndefined();
  });

  it("reports a missing file with its resolved path", async () => {
    const spec = validSpec();
    (spec["dataset"] as Json)["source"] = { kind: "jsonl", train: "nope.jsonl", heldOut: "nope2.jsonl" };
    const issues = await issuesOf(spec, { env: {}, baseDir: "/tmp/maspo-no-such-dir" });
    expect(at(issues, "dataset.source.train").found).toBe("no file at /tmp/maspo-no-such-dir/nope.jsonl");
    expect(at(issues, "dataset.source.heldOut").found).toBe("no file at /tmp/maspo-no-such-dir/nope2.jsonl");
  });
});

describe("validateSpec: bounds (issue 15, item 5)", () => {
  const BUNDLED = ["code-pipeline", "hier-research", "math-chain"];

  it("refuses 1e12 rounds and a simlm train split of 1e9, naming each field and its bound", async () => {
    const spec = validSpec();
    spec["search"] = { rounds: 1e12 };
    (spec["dataset"] as Json)["source"] = { kind: "simlm", world: "math-chain", train: 1e9 };
    (spec["task"] as Json)["metric"] = { kind: "world" };
    const issues = await issuesOf(spec);
    expect(at(issues, "search.rounds")).toMatchObject({ expected: "a number ≤ 1000", found: "1000000000000" });
    expect(at(issues, "dataset.source.train")).toMatchObject({ expected: "a number ≤ 1000000", found: "1000000000" });
  });

  it("bounds every number a spec states: the JSON Schema gives each a maximum (ids and labels are data, not settings)", () => {
    const unbounded: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${path}/${i}`));
      if (node === null || typeof node !== "object") return;
      const n = node as Record<string, unknown>;
      const numeric = n["type"] === "integer" || n["type"] === "number";
      const max = (n["maximum"] ?? n["exclusiveMaximum"]) as number | undefined;
      const data = /\/(id|label)\//.test(`${path}/`) || /\/(id|label)\/anyOf\/\d+$/.test(path);
      if (numeric && !data && (max === undefined || max >= Number.MAX_SAFE_INTEGER)) unbounded.push(path);
      for (const [k, v] of Object.entries(n)) walk(v, `${path}/${k}`);
    };
    walk(runSpecJsonSchema(), "");
    expect(unbounded, "give each a .max() in SPEC_LIMITS (schema.ts), with the reason for its value").toEqual([]);
  });

  it("refuses a step plan of more than 100000 steps, though each field is within its bound", async () => {
    const spec = validSpec();
    spec["search"] = { rounds: 1000, epochs: 100 };
    const issues = await issuesOf(spec);
    expect(at(issues, "search").found).toBe("400004 steps: 3 agents, epochs 100, rounds 1000, stepsPerAgent 1");
  });

  it("refuses a zero deadline and one beyond 30 days", async () => {
    for (const deadline of ["0s", "31d", "99999999999999999999h"]) {
      const spec = validSpec();
      spec["stop"] = { deadline };
      expect(at(await issuesOf(spec), "stop.deadline").expected, deadline).toBe("a duration above zero and at most 30d");
    }
  });

  it("refuses a metric regex without a capture group: the first group is what is scored", async () => {
    for (const extract of ["Answer:\\s*-?\\d+", "Answer:\\s*(?:-?\\d+)", "(?=Answer)Answer: \\d+"]) {
      const spec = validSpec();
      (spec["task"] as Json)["metric"] = { kind: "numeric", extract };
      const issue = at(await issuesOf(spec), "task.metric.extract");
      expect(issue.expected, extract).toMatch(/^a regular expression with a capture group around the answer/);
      expect(issue.found).toBe(JSON.stringify(extract));
    }
    for (const extract of ["Answer:\\s*(-?\\d+)", "Answer:\\s*(?<n>\\d+)"]) {
      const spec = validSpec();
      (spec["task"] as Json)["metric"] = { kind: "exact_match", extract };
      expect(await issuesOf(spec), extract).toEqual([]);
    }
  });

  it("refuses an unknown simlm world, in an endpoint and as the dataset's, with the bundled names and a did-you-mean", async () => {
    const spec = validSpec();
    (spec["models"] as Json)["sim"] = { baseURL: "simlm://math-chian", model: "sim", price: { inputPerMTok: 0, outputPerMTok: 0 } };
    (spec["dataset"] as Json)["source"] = { kind: "simlm", world: "hier-reserch" };
    (spec["task"] as Json)["metric"] = { kind: "world" };
    const issues = await issuesOf(spec, { ...OPTS, simlmWorlds: BUNDLED });
    expect(at(issues, "models.sim.baseURL")).toEqual({
      path: "models.sim.baseURL",
      expected: "simlm://<world> naming the world to simulate: a bundled simlm world (code-pipeline, hier-research, math-chain)",
      found: 'unknown world "math-chian"',
      hint: 'did you mean "math-chain"?',
    });
    expect(at(issues, "dataset.source.world")).toMatchObject({
      found: 'unknown world "hier-reserch"',
      hint: 'did you mean "hier-research"?',
    });
    // Without the bundled names (a library caller that does not know simlm) names are not checked.
    expect(await issuesOf(spec)).toEqual([]);
  });

  it("accepts an endpoint simulating the spec's own world file, by the name the file gives it, and bounds that file's splits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "maspo-world-"));
    writeFileSync(join(dir, "mine.yaml"), "name: my-world\ndata: { seed: 1, train: 2000000, heldOut: 10 }\n");
    const spec = validSpec();
    (spec["models"] as Json)["sim"] = { baseURL: "simlm://my-world", model: "sim", price: { inputPerMTok: 0, outputPerMTok: 0 } };
    (spec["dataset"] as Json)["source"] = { kind: "simlm", world: "mine.yaml" };
    (spec["task"] as Json)["metric"] = { kind: "world" };
    const issues = await issuesOf(spec, { env: {}, baseDir: dir, simlmWorlds: BUNDLED });
    expect(issues).toEqual([
      {
        path: "dataset.source.world",
        expected: "a world whose train split has at most 1000000 examples",
        found: `data.train: 2000000 in ${join(dir, "mine.yaml")}`,
        hint: "or set dataset.source.train to a smaller size",
      },
    ]);
    ((spec["dataset"] as Json)["source"] as Json)["train"] = 100;
    expect(await issuesOf(spec, { env: {}, baseDir: dir, simlmWorlds: BUNDLED })).toEqual([]);
  });

  it("reports every bound broken at once", async () => {
    const spec = validSpec();
    spec["search"] = { beamSize: 1000, minibatchSize: 1e7 };
    spec["seed"] = 2 ** 40;
    (spec["models"] as Json)["sim"] = {
      baseURL: "simlm://math-chain",
      model: "sim",
      price: { inputPerMTok: 1e9, outputPerMTok: 0 },
      timeoutMs: 1e10,
    };
    spec["cluster"] = { ackWaitMs: 1e12 };
    const issues = await issuesOf(spec);
    expect(issues.map((i) => i.path).sort()).toEqual(
      [
        "search.beamSize",
        "search.minibatchSize",
        "seed",
        "models.sim.price.inputPerMTok",
        "models.sim.timeoutMs",
        "cluster.ackWaitMs",
      ].sort(),
    );
  });
});

describe("validateSpec: the method's starting config is overridden only with a reason", () => {
  it("refuses an override of K without a reason, naming every such field at once with its default", async () => {
    const spec = validSpec();
    spec["search"] = { beamSize: 2, rounds: 3, operators: ["rephrase", "add_constraint"] };
    spec["misalignment"] = { bufferBudget: 10 };
    spec["stop"] = { deadline: "30m", patience: 1 };
    const issues = await issuesOf(spec);
    expect(issues.map((i) => i.path).sort()).toEqual([
      "misalignment.bufferBudget",
      "search.beamSize",
      "search.operators",
      "search.rounds",
      "stop.patience",
    ]);
    expect(at(issues, "search.beamSize")).toMatchObject({
      expected: "search.reason saying why K (beam size) differs from the method's default 5",
      found: "2 and no search.reason",
    });
    expect(at(issues, "stop.patience").expected).toContain("stop.reason");
  });

  it("accepts each override with its section's reason, and the defaults restated (operators in any order) need none", async () => {
    const spec = validSpec();
    spec["search"] = {
      beamSize: 2,
      epochs: 3,
      operators: [...MUTATION_OPERATORS].reverse(),
      reason: "cost: a small beam for a first look",
    };
    spec["misalignment"] = { bufferBudget: 10, reason: "ten cases per agent fit the optimizer's context" };
    spec["stop"] = { deadline: "30m", patience: 3 };
    const result = await validateSpec(spec, OPTS);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(startingConfigOverrides(result.spec)).toEqual([
      { setting: "search.beamSize", name: "K (beam size)", value: 2, default: 5, reason: "cost: a small beam for a first look" },
      {
        setting: "misalignment.bufferBudget",
        name: "the misalignment buffer budget",
        value: 10,
        default: 50,
        reason: "ten cases per agent fit the optimizer's context",
      },
    ]);
  });

  it("refuses an empty reason as no reason", async () => {
    const spec = validSpec();
    spec["search"] = { beamSize: 2, reason: "  " };
    const paths = (await issuesOf(spec)).map((i) => i.path);
    expect(paths).toContain("search.beamSize");
  });
});

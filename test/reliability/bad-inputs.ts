/**
 * Reliability case "bad inputs": a corpus of what a user, a file or another process can get wrong —
 * specs (every bounded field, graph, metric, YAML itself), datasets, worlds, command-line arguments,
 * corrupted checkpoints and caches, and messages on the bus (garbage, forged results, a task for
 * another run, a corrupted run record) and an example larger than the server's max payload. Each
 * input is fed to the real `maspo` process and judged: a clear error (exit 2 naming the field, or
 * exit 1 with an E_ code naming it; never a stack trace, never a hang) or, for what a run must
 * survive, contained (the run ends with the reference's result). Anything else is a hole.
 */
import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connectNats, decodeTask, encode, resultSubject, runBucketNames, workSubject } from "@maspo/cluster";
import { MAX_SPEC_BYTES } from "@maspo/core";
import { type NatsServer, startNatsServer } from "../helpers/nats-server.js";
import {
  type ReportJson,
  SMALL_SPEC,
  embeddedReport,
  exitedWithin,
  readReport,
  spawnMaspo,
  stopAll,
  tempDir,
} from "../fixtures/maspo-processes.js";
import { type CaseResult, zero } from "./figures.js";
import { NO_CODE, type Outcome, judgeError, judgeRun } from "./outcome.js";
import { endOf, startClusterRun, reachedStep } from "./runs.js";

export type BadInputCategory = "spec" | "yaml" | "dataset" | "world" | "cli" | "checkpoint" | "bus" | "payload";

/** What the case needs to exist before its process runs. */
interface CaseContext {
  dir: string;
  nats: string;
  /** A finished embedded run of the small spec (its checkpoint, cache and report), copied per case. */
  finishedRun: string;
}

export interface BadInput {
  id: string;
  category: BadInputCategory;
  /** The input, as a reader of the table sees it. */
  what: string;
  /** What a clear error must name (the field, flag, file or thing at fault). */
  names: RegExp;
  /** "contained": the process must end with the reference's result (a cache entry it can do without). */
  expect?: "error" | "contained";
  prepare(ctx: CaseContext): Promise<{ args: string[]; env?: Record<string, string> }>;
}

type Spec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a parsed YAML document mutated by each case

const baseSpec = async (): Promise<Spec> => parse(await readFile(SMALL_SPEC, "utf8")) as Spec;

/** A spec case: the small spec changed by `mutate`, checked by `maspo validate` (or run, when `run`). */
function spec(id: string, what: string, names: RegExp, mutate: (s: Spec) => void, run = false): BadInput {
  return {
    id,
    category: "spec",
    what,
    names,
    async prepare({ dir }) {
      const s = await baseSpec();
      mutate(s);
      const file = join(dir, "spec.yaml");
      await writeFile(file, stringify(s));
      return { args: run ? ["run", file, "--out", join(dir, "out"), "--quiet"] : ["validate", file] };
    },
  };
}

/** A spec file whose text is `text` (YAML itself at fault). */
function text(id: string, what: string, names: RegExp, content: () => string | Buffer): BadInput {
  return {
    id,
    category: "yaml",
    what,
    names,
    async prepare({ dir }) {
      const file = join(dir, "spec.yaml");
      await writeFile(file, content());
      return { args: ["validate", file] };
    },
  };
}

/** A dataset case: the small spec on a file (or inline) dataset with an exact-match metric. */
function dataset(id: string, what: string, names: RegExp, source: Record<string, unknown>, files: Record<string, string> = {}): BadInput {
  return {
    id,
    category: "dataset",
    what,
    names,
    async prepare({ dir }) {
      const s = await baseSpec();
      s.task.metric = { kind: "exact_match", extract: "Answer:\\s*(-?\\d+)" };
      s.dataset.source = source;
      for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
      const file = join(dir, "spec.yaml");
      await writeFile(file, stringify(s));
      return { args: ["validate", file] };
    },
  };
}

function cli(id: string, what: string, names: RegExp, args: (ctx: CaseContext) => string[], env: Record<string, string> = {}): BadInput {
  return { id, category: "cli", what, names, prepare: (ctx) => Promise.resolve({ args: args(ctx), env }) };
}

/** A resume of the finished run after `damage` to its directory. */
function checkpoint(
  id: string,
  what: string,
  names: RegExp,
  damage: (dir: string) => Promise<void>,
  expect: "error" | "contained" = "error",
  specPath = SMALL_SPEC,
): BadInput {
  return {
    id,
    category: "checkpoint",
    what,
    names,
    expect,
    async prepare({ dir, finishedRun }) {
      const out = join(dir, "run");
      await cp(finishedRun, out, { recursive: true });
      await damage(out);
      return { args: ["run", specPath, "--resume", out, "--quiet"] };
    },
  };
}

const line = (n: number) => `{"id":"t${n}","input":"Mia has ${n} marbles. How many marbles does Mia have?","label":"${n}"}`;
const JSONL = Array.from({ length: 8 }, (_, i) => line(i + 1)).join("\n");
const INLINE = Array.from({ length: 4 }, (_, i) => JSON.parse(line(i + 1)) as unknown);
const INLINE_HELD_OUT = Array.from({ length: 4 }, (_, i) => JSON.parse(line(i + 11)) as unknown);
const aliasBomb = (): string => {
  const rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  const names = "abcdefgh";
  for (let i = 1; i < names.length; i++)
    rows.push(
      `${names[i]}: &${names[i]} [${Array(9)
        .fill(`*${names[i - 1]}`)
        .join(",")}]`,
    );
  return `${rows.join("\n")}\n`;
};

/** Inputs fed to one process each (the bus cases need a live run: BUS_CASES). */
export const PROCESS_CASES: BadInput[] = [
  // Specs: bounds on every numeric field, references, metric, worlds.
  spec("rounds-huge", "search.rounds: 1e12", /search\.rounds/, (s) => (s.search.rounds = 1e12)),
  spec("train-huge", "a simlm train size of 1e9", /dataset\.source\.train/, (s) => (s.dataset.source.train = 1e9)),
  spec("beam-zero", "search.beamSize: 0", /search\.beamSize/, (s) => (s.search.beamSize = 0)),
  spec("beam-string", 'search.beamSize: "three"', /search\.beamSize/, (s) => (s.search.beamSize = "three")),
  spec("minibatch-negative", "search.minibatchSize: -1", /search\.minibatchSize/, (s) => (s.search.minibatchSize = -1)),
  spec("epochs-fraction", "search.epochs: 1.5", /search\.epochs/, (s) => (s.search.epochs = 1.5)),
  spec("epochs-huge", "search.epochs: 1e9", /search\.epochs/, (s) => (s.search.epochs = 1e9)),
  spec("children-huge", "search.childrenPerParent: 1e6", /search\.childrenPerParent/, (s) => (s.search.childrenPerParent = 1e6)),
  spec("seed-string", 'seed: "abc"', /seed/, (s) => (s.seed = "abc")),
  spec("deadline-garbage", 'stop.deadline: "soon"', /stop\.deadline/, (s) => (s.stop.deadline = "soon")),
  spec("budget-negative", "stop.budgetUsd: -1", /stop\.budgetUsd/, (s) => (s.stop.budgetUsd = -1)),
  spec("baseurl-scheme", "models.sim.baseURL: ftp://…", /models\.sim\.baseURL/, (s) => (s.models.sim.baseURL = "ftp://example.com/v1")),
  spec("timeout-zero", "models.sim.timeoutMs: 0", /models\.sim\.timeoutMs/, (s) => (s.models.sim.timeoutMs = 0)),
  spec("retries-huge", "models.sim.maxRetries: 1e6", /models\.sim\.maxRetries/, (s) => (s.models.sim.maxRetries = 1e6)),
  spec(
    "price-negative",
    "models.sim.price.inputPerMTok: -5",
    /models\.sim\.price\.inputPerMTok/,
    (s) => (s.models.sim.price.inputPerMTok = -5),
  ),
  spec("api-key-in-spec", "apiKeyEnv holding a key rather than a variable name", /models\.sim\.apiKeyEnv/, (s) => {
    s.models.sim.baseURL = "http://127.0.0.1:9/v1";
    s.models.sim.apiKeyEnv = "sk-proj-abc123-not-a-variable-name";
  }),
  spec("agent-model-unknown", "an agent on an undeclared model", /graph\.agents.*model|nope/, (s) => (s.graph.agents[1].model = "nope")),
  spec("final-unknown", "graph.final: ghost", /graph\.final|ghost/, (s) => (s.graph.final = "ghost")),
  spec("graph-cycle", "a cycle of predecessors", /cycle|predecessors/, (s) => (s.graph.agents[0].predecessors = ["formatter"])),
  spec("agent-duplicate", "two agents with one id", /graph\.agents|planner/, (s) => (s.graph.agents[1].id = "planner")),
  spec("predecessor-unknown", "a predecessor that is no agent", /predecessors|ghost/, (s) => (s.graph.agents[1].predecessors = ["ghost"])),
  spec("prompt-missing", "no prompt for an agent", /prompts|solver/, (s) => delete s.prompts.solver),
  spec("metric-kind-unknown", "task.metric.kind: bogus", /task\.metric/, (s) => (s.task.metric = { kind: "bogus" })),
  spec("regex-no-group", "a metric regex without a capture group", /task\.metric\.extract/, (s) => {
    s.task.metric = { kind: "exact_match", extract: "Answer: \\d+" };
  }),
  spec("regex-invalid", "a metric regex that does not compile", /task\.metric\.extract/, (s) => {
    s.task.metric = { kind: "exact_match", extract: "(unclosed" };
  }),
  spec("field-unknown", "an unknown top-level field (serch)", /serch/, (s) => (s.serch = { beamSize: 3 })),
  spec("evaluation-model-unknown", "evaluation.model: nope", /evaluation\.model|nope/, (s) => (s.evaluation.model = "nope")),
  spec("optimizer-model-unknown", "optimizer.model: nope", /optimizer\.model|nope/, (s) => (s.optimizer.model = "nope")),
  spec("max-deliver-zero", "cluster.maxDeliver: 0", /cluster\.maxDeliver/, (s) => (s.cluster = { maxDeliver: 0 })),
  spec("ack-wait-negative", "cluster.ackWaitMs: -1", /cluster\.ackWaitMs/, (s) => (s.cluster = { ackWaitMs: -1 })),
  spec("replicas-too-many", "cluster.replicas: 9", /cluster\.replicas/, (s) => (s.cluster = { replicas: 9 })),
  spec(
    "backoff-empty",
    "cluster.backoffMs: [] with maxDeliver 1 (run)",
    /cluster\.backoffMs|backoffMs/,
    (s) => (s.cluster = { backoffMs: [], maxDeliver: 1 }),
    true,
  ),
  spec("guard-negative", "guards.tokensPerRoundMax: -1", /guards\.tokensPerRoundMax/, (s) => (s.guards.tokensPerRoundMax = -1)),
  spec("held-out-for-tuning", "dataset.heldOutUsedForTuning: true", /heldOutUsedForTuning/, (s) => (s.dataset.heldOutUsedForTuning = true)),
  spec("name-empty", 'name: ""', /name/, (s) => (s.name = "")),
  spec(
    "key-variable-unset",
    "an HTTP endpoint whose key variable is unset (run)",
    /MASPO_REL_UNSET_KEY/,
    (s) => {
      s.models.sim.baseURL = "http://127.0.0.1:9/v1";
      s.models.sim.apiKeyEnv = "MASPO_REL_UNSET_KEY";
    },
    true,
  ),
  // YAML itself.
  text("yaml-alias-bomb", "a YAML alias bomb", /alias/, aliasBomb),
  text("yaml-deep", "YAML nested 50 000 deep", /depth|deep|nest/i, () => `name: ${"[".repeat(50_000)}${"]".repeat(50_000)}\n`),
  text("yaml-syntax", "a YAML syntax error", /line \d+|YAML|yaml/, () => 'name: "unclosed\nseed: [1, 2\n'),
  text("spec-empty", "an empty spec file", /empty|name|task|spec/, () => ""),
  text("spec-array", "a spec that is a list", /object|mapping|list|array|spec/, () => "- 1\n- 2\n"),
  text("spec-binary", "binary bytes", /YAML|yaml|spec|line|object/, () => Buffer.from([0xff, 0xfe, 0x00, 0x01, 0xc3, 0x28, 0x0a])),
  {
    id: "spec-huge",
    category: "yaml",
    what: "a valid spec padded past the 32 MiB a spec may have",
    names: /\bsize\b|too large|\bMi?B\b|bytes/i,
    async prepare({ dir }) {
      const file = join(dir, "spec.yaml");
      await writeFile(file, `${await readFile(SMALL_SPEC, "utf8")}\n# ${"x".repeat(MAX_SPEC_BYTES + 1024 * 1024)}\n`);
      return { args: ["validate", file] };
    },
  },
  cli("spec-missing", "a spec path that does not exist", /rel-no-such-spec\.yaml/, () => ["validate", "/tmp/rel-no-such-spec.yaml"]),
  // Datasets.
  dataset("jsonl-missing", "a JSONL file that does not exist", /missing\.jsonl/, {
    kind: "jsonl",
    file: "missing.jsonl",
    split: { heldOut: 0.5, seed: 1 },
  }),
  dataset(
    "jsonl-broken-line",
    "a JSONL line that is not JSON",
    /data\.jsonl:3|line 3/,
    { kind: "jsonl", file: "data.jsonl", split: { heldOut: 0.5, seed: 1 } },
    {
      "data.jsonl": JSONL.split("\n")
        .map((l, i) => (i === 2 ? "{not json" : l))
        .join("\n"),
    },
  ),
  dataset(
    "jsonl-no-input",
    "a record without its input field",
    /input/,
    { kind: "jsonl", file: "data.jsonl", split: { heldOut: 0.5, seed: 1 } },
    {
      "data.jsonl": `${JSONL}\n{"id":"t99","label":"3"}`,
    },
  ),
  dataset(
    "jsonl-empty",
    "an empty JSONL file",
    /data\.jsonl|empty|no records|record/,
    { kind: "jsonl", file: "data.jsonl", split: { heldOut: 0.5, seed: 1 } },
    { "data.jsonl": "" },
  ),
  dataset(
    "json-not-array",
    "a JSON dataset that is an object",
    /data\.json|array/,
    { kind: "json", file: "data.json", split: { heldOut: 0.5, seed: 1 } },
    { "data.json": '{"a":1}' },
  ),
  dataset(
    "csv-missing-column",
    "a mapped CSV column the file lacks",
    /question/,
    { kind: "csv", file: "data.csv", split: { heldOut: 0.5, seed: 1 }, fields: { input: "question" } },
    {
      "data.csv": "id,input,label\nt1,hello,1\nt2,world,2\n",
    },
  ),
  dataset(
    "split-ratio",
    "split.heldOut: 1.5",
    /heldOut|split/,
    { kind: "jsonl", file: "data.jsonl", split: { heldOut: 1.5, seed: 1 } },
    { "data.jsonl": JSONL },
  ),
  dataset(
    "duplicate-ids",
    "two records with one id",
    /t1|duplicate|id/,
    { kind: "jsonl", file: "data.jsonl", split: { heldOut: 0.5, seed: 1 } },
    {
      "data.jsonl": `${JSONL}\n${line(1)}`,
    },
  ),
  dataset("inline-empty", "an inline dataset with no train examples", /train/, { kind: "inline", train: [], heldOut: INLINE }),
  dataset(
    "dataset-layout",
    "a file dataset with neither a held-out file nor a split",
    /split|heldOut|layout/,
    { kind: "jsonl", file: "data.jsonl" },
    { "data.jsonl": JSONL },
  ),
  // Worlds.
  {
    ...spec("endpoint-world-unknown", "an endpoint on simlm://atlantis", /atlantis/, (s) => (s.models.sim.baseURL = "simlm://atlantis")),
    category: "world",
  },
  {
    ...spec("dataset-world-unknown", "a simlm dataset of world atlantis", /atlantis/, (s) => (s.dataset.source.world = "atlantis")),
    category: "world",
  },
  {
    ...cli("oracle-world-unknown", "maspo sim oracle --world atlantis", /atlantis/, () => ["sim", "oracle", "--world", "atlantis"]),
    category: "world",
  },
  {
    ...cli("serve-world-unknown", "maspo sim serve --world atlantis", /atlantis/, () => [
      "sim",
      "serve",
      "--world",
      "atlantis",
      "--port",
      "0",
    ]),
    category: "world",
  },
  // Command-line arguments.
  cli("command-unknown", "maspo bogus", /bogus/, () => ["bogus"]),
  cli("option-unknown", "maspo run --bogus", /--bogus/, () => ["run", SMALL_SPEC, "--bogus"]),
  cli("run-no-spec", "maspo run without a spec", /spec/, () => ["run"]),
  cli("seed-not-number", "--seed abc", /--seed|seed/, () => ["run", SMALL_SPEC, "--seed", "abc", "--out", "/tmp/rel-never"]),
  cli("set-no-equals", "--set search.beamSize", /--set|search\.beamSize/, () => [
    "run",
    SMALL_SPEC,
    "--set",
    "search.beamSize",
    "--out",
    "/tmp/rel-never",
  ]),
  cli("set-unknown-path", "--set search.nope=1", /search\.nope|nope/, () => [
    "run",
    SMALL_SPEC,
    "--set",
    "search.nope=1",
    "--out",
    "/tmp/rel-never",
  ]),
  cli("set-bad-value", "--set search.beamSize=-2", /search\.beamSize/, () => [
    "run",
    SMALL_SPEC,
    "--set",
    "search.beamSize=-2",
    "--out",
    "/tmp/rel-never",
  ]),
  cli("preset-unknown", "--preset nope", /preset|nope/, () => ["run", SMALL_SPEC, "--preset", "nope", "--out", "/tmp/rel-never"]),
  cli("run-id-invalid", '--run-id "bad id!" (checked before connecting)', /--run-id/, () => [
    "run",
    SMALL_SPEC,
    "--nats",
    "nats://127.0.0.1:1",
    "--run-id",
    "bad id!",
  ]),
  cli("nats-url-credentials", "credentials inside the --nats URL", /--nats|credential|password/i, () => [
    "run",
    SMALL_SPEC,
    "--nats",
    "nats://maspo:hunter2@127.0.0.1:1",
    "--run-id",
    "x",
  ]),
  cli("nats-url-garbage", "--nats ':::'", /--nats|URL|url/, () => ["run", SMALL_SPEC, "--nats", ":::", "--run-id", "x"]),
  cli("nats-unreachable", "--nats at a closed port", /127\.0\.0\.1:1\b|NATS/, () => [
    "worker",
    "evaluator",
    "--nats",
    "nats://127.0.0.1:1",
  ]),
  cli("metrics-port-bad", "--metrics-port 99999", /--metrics-port/, () => [
    "run",
    SMALL_SPEC,
    "--metrics-port",
    "99999",
    "--out",
    "/tmp/rel-never",
  ]),
  cli("metrics-linger-bad", "--metrics-linger forever", /--metrics-linger/, () => [
    "run",
    SMALL_SPEC,
    "--metrics-port",
    "auto",
    "--metrics-linger",
    "forever",
    "--out",
    "/tmp/rel-never",
  ]),
  cli("worker-role-unknown", "maspo worker bogus", /bogus|role/, ({ nats }) => ["worker", "bogus", "--nats", nats]),
  cli("worker-concurrency-zero", "maspo worker --concurrency 0", /--concurrency/, ({ nats }) => [
    "worker",
    "evaluator",
    "--nats",
    nats,
    "--concurrency",
    "0",
  ]),
  cli("resume-missing-dir", "--resume a directory that does not exist", /rel-no-such-dir|checkpoint/, () => [
    "run",
    SMALL_SPEC,
    "--resume",
    "/tmp/rel-no-such-dir",
  ]),
  cli("password-env-unset", "--password-env naming an unset variable", /MASPO_REL_UNSET_PW/, ({ nats }) => [
    "worker",
    "evaluator",
    "--nats",
    nats,
    "--user",
    "u",
    "--password-env",
    "MASPO_REL_UNSET_PW",
  ]),
  cli("password-file-missing", "--password-file that does not exist", /rel-no-such-password/, ({ nats }) => [
    "worker",
    "evaluator",
    "--nats",
    nats,
    "--user",
    "u",
    "--password-file",
    "/tmp/rel-no-such-password",
  ]),
  // Checkpoints and caches.
  checkpoint("checkpoint-truncated", "checkpoint.json cut in half", /checkpoint\.json/, async (d) => {
    const f = join(d, "checkpoint.json");
    const t = await readFile(f, "utf8");
    await writeFile(f, t.slice(0, Math.floor(t.length / 2)));
  }),
  checkpoint("checkpoint-garbage", "checkpoint.json of random bytes", /checkpoint\.json/, (d) =>
    writeFile(join(d, "checkpoint.json"), Buffer.from([0x00, 0xff, 0x13, 0x37, 0x80])),
  ),
  checkpoint("checkpoint-shape", "checkpoint.json of the wrong shape", /checkpoint\.json/, (d) =>
    writeFile(join(d, "checkpoint.json"), '{"v":1,"state":{"nextStep":"x"}}'),
  ),
  checkpoint("checkpoint-empty", "an empty checkpoint.json", /checkpoint\.json/, (d) => writeFile(join(d, "checkpoint.json"), "")),
  checkpoint(
    "checkpoint-other-spec",
    "resuming with a different spec",
    /spec/,
    () => Promise.resolve(),
    "error",
    join(import.meta.dirname, "../../examples/math-chain.yaml"),
  ),
  checkpoint(
    "cache-entry-corrupt",
    "every response cache entry corrupted, then resumed",
    /cache/,
    async (d) => {
      const entries = await readdir(join(d, "cache"), { recursive: true, withFileTypes: true });
      for (const e of entries.filter((x) => x.isFile()).slice(0, 50)) await writeFile(join(e.parentPath, e.name), '{"v":1,"key":"x');
    },
    "contained",
  ),
];

/** What one cluster run with injected messages is, and what it injects once the run is going. */
export interface BusCase {
  id: string;
  category: "bus" | "payload";
  what: string;
  names: RegExp;
  /** Inputs counted in the corpus (one per injected message kind). */
  inputs: string[];
}

export const BUS_CASES: BusCase[] = [
  {
    id: "work-garbage",
    category: "bus",
    what: "garbage on the work subject",
    names: /./,
    inputs: ["bytes that are not msgpack", "msgpack that is not a task", "a task envelope for another run", "an empty message"],
  },
  {
    id: "forged-payload",
    category: "bus",
    what: "a forged result (well-formed, bad payload) for an awaited task",
    names: /E_TASK_RESULT/,
    inputs: ["forged result with a bad payload"],
  },
  {
    id: "forged-failure",
    category: "bus",
    what: "a forged ok:false result for an awaited task",
    names: /E_/,
    inputs: ["forged ok:false result"],
  },
  {
    id: "forged-role",
    category: "bus",
    what: "a result on behalf of another role",
    names: /E_TASK_RESULT/,
    inputs: ["result with another role's envelope"],
  },
  {
    id: "record-corrupt",
    category: "bus",
    what: "the run record in KV overwritten with garbage, then --resume",
    names: /record|E_KV|checkpoint/,
    inputs: ["corrupted run record"],
  },
  {
    id: "payload-oversized",
    category: "payload",
    what: "a dataset example larger than the server's max payload (1 MB)",
    names: /payload|E_PAYLOAD_TOO_LARGE|MB|bytes/i,
    inputs: ["a 2 MB example on a cluster"],
  },
];

export interface BadInputOptions {
  /** Ids of PROCESS_CASES and BUS_CASES to run (default: all). */
  only?: string[];
  reference?: ReportJson;
}

export async function measureBadInputs(options: BadInputOptions = {}): Promise<CaseResult> {
  const started = Date.now();
  const pick = <T extends { id: string }>(list: T[]): T[] => (options.only ? list.filter((c) => options.only?.includes(c.id)) : list);
  const reference = options.reference ?? (await embeddedReport(SMALL_SPEC));
  const server = await startNatsServer();
  const rows: CaseResult["rows"] = [];
  try {
    const finishedRun = await tempDir("maspo-rel-finished-");
    const finish = spawnMaspo("finished", ["run", SMALL_SPEC, "--out", finishedRun, "--quiet"]);
    if ((await finish.exited).code !== 0) throw new Error(`the small spec's run failed:\n${finish.output()}`);
    const processCases = pick(PROCESS_CASES);
    // Two at a time: most are a node start-up and a refusal.
    for (let i = 0; i < processCases.length; i += 2) {
      const batch = processCases.slice(i, i + 2);
      rows.push(...(await Promise.all(batch.map((c) => runProcessCase(c, { nats: server.url, finishedRun }, reference)))));
    }
    for (const c of pick(BUS_CASES)) rows.push(...(await runBusCase(c, server, reference)));
  } finally {
    await server.dispose();
  }
  const unclear = rows.filter((r) => r.outcome === "unclear");
  return {
    id: "bad-inputs",
    title: "bad-input corpus",
    repeats: rows.length,
    rows,
    seconds: (Date.now() - started) / 1000,
    figures: [
      { name: "inputs in the corpus", value: rows.length, target: "≥ 60", met: options.only !== undefined || rows.length >= 60 },
      zero("inputs neither a clear error nor contained", unclear.length, unclear.map((r) => r.id).join(", ") || undefined),
      {
        name: "of which: exit 1 naming the thing at fault but printing no E_ code",
        value: unclear.filter((r) => String(r.says).startsWith(NO_CODE)).length,
        target: "informational",
        met: true,
        note: "the message is readable, but a script cannot tell the error by its stable code",
      },
      ...(["spec", "yaml", "dataset", "world", "cli", "checkpoint", "bus", "payload"] as const).map((cat) => ({
        name: `${cat}: clear or contained`,
        value: rows.filter((r) => r.category === cat && r.outcome !== "unclear").length,
        target: `${rows.filter((r) => r.category === cat).length} of ${rows.filter((r) => r.category === cat).length}`,
        met: rows.filter((r) => r.category === cat).every((r) => r.outcome !== "unclear"),
      })),
    ],
  };
}

async function runProcessCase(c: BadInput, shared: Omit<CaseContext, "dir">, reference: ReportJson): Promise<CaseResult["rows"][number]> {
  const dir = await tempDir(`maspo-rel-bad-${c.id}-`);
  await mkdir(dir, { recursive: true });
  const { args, env } = await c.prepare({ ...shared, dir });
  const proc = spawnMaspo(c.id, args, env ?? {});
  let hung = false;
  let code: number | null;
  try {
    code = (await exitedWithin(proc, 60_000, [proc])).code;
  } catch {
    hung = true;
    proc.child.kill("SIGKILL");
    code = (await proc.exited).code;
  }
  let outcome: Outcome;
  if (c.expect === "contained") {
    const report = code === 0 ? await readReport(args[args.indexOf("--resume") + 1] ?? dir).catch(() => undefined) : undefined;
    outcome = judgeRun({ code, signal: null, hung, output: proc.output(), says: "", ...(report ? { report } : {}) }, reference, c.names);
  } else {
    outcome = judgeError(code, proc.output(), c.names, hung);
  }
  return row(c, hung ? "hung" : String(code), outcome);
}

function row(c: { id: string; category: string; what: string }, exit: string, outcome: Outcome): CaseResult["rows"][number] {
  return {
    id: c.id,
    category: c.category,
    input: c.what,
    exit,
    outcome: outcome.kind,
    ...(outcome.code ? { code: outcome.code } : {}),
    says: outcome.why,
  };
}

/** One cluster run per bus case: the messages injected once it is going, the run judged (contained or a clear error). */
async function runBusCase(c: BusCase, server: NatsServer, reference: ReportJson): Promise<CaseResult["rows"]> {
  const runId = `rel-bad-${c.id}`;
  const dir = await tempDir(`maspo-rel-bus-${c.id}-`);
  let spec = SMALL_SPEC;
  if (c.id === "payload-oversized") {
    const s = await baseSpec();
    s.task.metric = { kind: "exact_match", extract: "Answer:\\s*(-?\\d+)" };
    const big = { id: "big", input: `Mia has 3 marbles. ${"How many? ".repeat(200_000)}`, label: "3" };
    s.dataset.source = { kind: "inline", train: [big, ...INLINE], heldOut: INLINE_HELD_OUT };
    spec = join(dir, "spec.yaml");
    await writeFile(spec, stringify(s));
  }
  const run = await startClusterRun(spec, server.url, runId, { counts: { executor: 1, evaluator: 1, mutator: 1 } });
  const { nc } = await connectNats({ servers: server.url });
  const js = jetstream(nc);
  const rows: CaseResult["rows"] = [];
  try {
    let forged = 0;
    if (c.id.startsWith("forged-")) {
      // Answer the first two evaluator tasks before the evaluator does, taking the genuine result's
      // dedupe id (msgID = taskId): the worst a forger on the bus can do.
      const role = "evaluator";
      nc.subscribe(workSubject(runId, role), {
        callback: (_err, msg) => {
          if (forged >= 2) return;
          let task: { taskId: string };
          try {
            task = decodeTask(msg.data);
          } catch {
            return;
          }
          forged++;
          const base = { v: 1, runId, taskId: task.taskId };
          const body =
            c.id === "forged-payload"
              ? { ...base, role, ok: true, payload: { forged: true } }
              : c.id === "forged-failure"
                ? { ...base, role, ok: false, error: { code: "E_LLM_HTTP", message: "forged refusal", retryable: false } }
                : { ...base, role: "executor", ok: true, payload: { forged: true } };
          void js.publish(resultSubject(runId, role), encode(body), { msgID: task.taskId }).catch(() => undefined);
        },
      });
    }
    await reachedStep(run.coordinator, 2);
    if (c.id === "work-garbage") {
      nc.publish(workSubject(runId, "evaluator"), new Uint8Array([0xc1, 0x00]));
      nc.publish(workSubject(runId, "evaluator"), encode({ v: 1, hello: "not a task" }));
      nc.publish(
        workSubject(runId, "evaluator"),
        encode({ v: 1, runId: "another-run", taskId: "t-1", role: "evaluator", kind: "evaluate", payload: {} }),
      );
      nc.publish(workSubject(runId, "evaluator"), new Uint8Array());
      await nc.flush();
    }
    if (c.id === "record-corrupt") {
      run.coordinator.child.kill("SIGKILL");
      await run.coordinator.exited;
      const kv = await new Kvm(nc).open(runBucketNames(runId).checkpoints);
      for await (const key of await kv.keys()) await kv.put(key, new Uint8Array([0xc1, 0xff, 0x00]));
      const resumed = spawnMaspo("resumed", ["run", SMALL_SPEC, "--nats", server.url, "--resume", runId, "--out", run.out]);
      const end = await endOf(resumed, run.out, run.workers, 90_000);
      rows.push(
        row(
          { ...c, what: c.inputs[0] ?? c.what },
          end.hung ? "hung" : String(end.code),
          judgeError(end.code, end.output, c.names, end.hung),
        ),
      );
      return rows;
    }
    const end = await endOf(run.coordinator, run.out, run.workers, 120_000);
    // A run on another dataset (the oversized example) has no reference: finishing at all contains it.
    const outcome: Outcome =
      c.category === "payload" && end.code === 0 && !end.hung ? { kind: "contained", why: "exit 0" } : judgeRun(end, reference, c.names);
    const contained: Outcome = outcome.kind === "same result" ? { ...outcome, kind: "contained" } : outcome;
    for (const input of c.inputs) {
      rows.push({
        ...row({ ...c, what: input }, end.hung ? "hung" : String(end.code), contained),
        ...(c.id.startsWith("forged-") ? { forgedResults: forged } : {}),
      });
    }
    if (c.id.startsWith("forged-") && forged === 0) throw new Error(`${c.id}: no task was seen to forge a result for`);
  } finally {
    await nc.close();
    await stopAll(run.all());
  }
  return rows;
}

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { CliIo } from "./cli-io.js";
import { main } from "./main.js";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));
const EXAMPLE = "examples/inline-arithmetic.yaml";

async function maspo(args: string[], options: { env?: CliIo["env"]; cwd?: string } = {}) {
  let out = "";
  let err = "";
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), env: options.env ?? {}, cwd: options.cwd ?? REPO };
  const status = await main(["node", "maspo", ...args], io);
  return { status, out, err };
}

function brokenCopyOfExample(edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "maspo-cli-"));
  const file = join(dir, "spec.yaml");
  writeFileSync(file, edit(readFileSync(join(REPO, EXAMPLE), "utf8")));
  return file;
}

describe("maspo (in process)", () => {
  it("prints help listing every command, and the version", async () => {
    const help = await maspo(["--help"]);
    expect(help.status).toBe(0);
    for (const command of ["validate", "schema", "init", "run"]) expect(help.out).toContain(command);
    const version = await maspo(["--version"]);
    expect(version).toEqual({ status: 0, out: "0.1.0\n", err: "" });
  });

  it("refuses an unknown command with exit 2 and a suggestion", async () => {
    const result = await maspo(["valdate", EXAMPLE]);
    expect(result.status).toBe(2);
    expect(result.err).toContain("unknown command 'valdate'");
    expect(result.err).toContain("validate");
  });

  it("validate shows a fan-out graph by its edges, not as a sequence", async () => {
    const result = await maspo(["validate", "examples/hier-research.yaml"]);
    expect(result.status).toBe(0);
    expect(result.out).toContain(
      "hierarchical: manager → analyst_a, manager → analyst_b, analyst_a → aggregator, analyst_b → aggregator; final aggregator",
    );
  });

  it("validate says ok with a summary and exits 0 for a valid spec", async () => {
    const result = await maspo(["validate", EXAMPLE]);
    expect(result.err).toBe("");
    expect(result.status).toBe(0);
    expect(result.out).toMatch(/^ok: examples\/inline-arithmetic\.yaml: task "arithmetic word problems".*planner → solver → formatter/);
  });

  it("validate prints every problem with its path and exits 2", async () => {
    const file = brokenCopyOfExample((t) =>
      t
        .replace("heldOutUsedForTuning: false", "heldOutUsedForTuning: true")
        .replace("predecessors: [planner]", "predecessors: [planer]")
        .replace("deadline: 30m", "deadline: soon"),
    );
    const result = await maspo(["validate", file]);
    expect(result.status).toBe(2);
    expect(result.out).toBe("");
    // The misspelt predecessor also cuts the planner off from the final agent: four problems.
    expect(result.err).toContain("4 problems");
    expect(result.err).toContain('graph.agents[0]: expected an agent whose output reaches the final agent "formatter"');
    expect(result.err).toContain(
      'graph.agents[1].predecessors[0]: expected the id of an agent in graph.agents, found unknown agent "planer" (did you mean "planner"?',
    );
    expect(result.err).toContain("dataset.heldOutUsedForTuning: expected false");
    expect(result.err).toContain("that is a leak, not a result");
    expect(result.err).toContain('stop.deadline: expected a duration like "90s"');
  });

  it("validate --json reports outcomes as data", async () => {
    const file = brokenCopyOfExample((t) => t.replace("topology: sequential", "topology: chain"));
    const result = await maspo(["validate", "--json", EXAMPLE, file]);
    expect(result.status).toBe(2);
    const outcomes = JSON.parse(result.out) as { ok: boolean; issues?: { path: string }[] }[];
    expect(outcomes.map((o) => o.ok)).toEqual([true, false]);
    expect(outcomes[1]?.issues?.map((i) => i.path)).toEqual(["graph.topology"]);
  });

  it("validate requires the key variable of a used http endpoint unless told not to check", async () => {
    const file = brokenCopyOfExample((t) =>
      t.replace(
        "  sim-judge:\n    baseURL: simlm://math-chain",
        "  sim-judge:\n    baseURL: https://api.example.com/v1\n    apiKeyEnv: JUDGE_KEY",
      ),
    );
    const unset = await maspo(["validate", file]);
    expect(unset.status).toBe(2);
    expect(unset.err).toContain("models.sim-judge.apiKeyEnv: expected environment variable JUDGE_KEY to be set");
    expect((await maspo(["validate", file], { env: { JUDGE_KEY: "k" } })).status).toBe(0);
    expect((await maspo(["validate", "--no-env-check", file])).status).toBe(0);
  });

  it("run validates first and refuses an invalid spec with exit 2", async () => {
    const file = brokenCopyOfExample((t) => t.replace("  formatter:\n    role: formatter", "  formater:\n    role: formatter"));
    const result = await maspo(["run", file, "--out", join(tmpdir(), "never")]);
    expect(result.status).toBe(2);
    expect(result.err).toContain('prompts.formatter: expected an initial prompt for agent "formatter"');
    expect(result.err).toContain("prompts.formater: expected a prompt for an agent declared in graph.agents");
  });

  it("run --nats with no server reachable fails with a message that says so, and exits 1", async () => {
    const result = await maspo(["run", EXAMPLE, "--out", join(tmpdir(), "maspo-run-out"), "--nats", "nats://127.0.0.1:1"]);
    expect(result.status).toBe(1);
    expect(result.err).toContain("cannot connect");
  });

  it("run refuses a --nats value that is not a NATS URL", async () => {
    const result = await maspo(["run", EXAMPLE, "--nats", "http://localhost:4222"]);
    expect(result.status).toBe(2);
    expect(result.err).toContain("expected a nats://");
  });

  it("validate refuses a YAML alias bomb with exit 2 and a clear problem, not a stack trace", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "maspo-cli-")), "bomb.yaml");
    const levels = "abcdefghi".split("");
    const lines = levels.map(
      (name, i) => `${name}: &${name} [${Array.from({ length: 9 }, () => (i === 0 ? "lol" : `*${levels[i - 1]}`)).join(", ")}]`,
    );
    writeFileSync(file, lines.join("\n"));
    const result = await maspo(["validate", file]);
    expect(result.status).toBe(2);
    expect(result.err).toContain("(document): expected aliases that expand to a bounded document");
    expect(result.err).not.toMatch(/unexpected error|at Alias\./);
  });

  it("validate refuses an unknown simlm world with the bundled names and a did-you-mean", async () => {
    const result = await maspo(["validate", brokenCopyOfExample((t) => t.replaceAll("simlm://math-chain", "simlm://math-chian"))]);
    expect(result.status).toBe(2);
    expect(result.err).toMatch(
      /models\.sim\.baseURL: expected simlm:\/\/<world> naming the world to simulate: a bundled simlm world \(code-pipeline, code-tests, fan-in-review, hier-research, long-chain, math-chain, pair-bootstrap\), found unknown world "math-chian" \(did you mean "math-chain"\?/,
    );
  });

  it("run checks --run-id, --resume and the --nats URL before connecting, every problem at once, and shows no credential", async () => {
    const result = await maspo([
      "run",
      EXAMPLE,
      "--nats",
      "nats://alice:s3cret-pw@127.0.0.1:1",
      "--run-id",
      "no spaces!",
      "--resume",
      "../etc",
    ]);
    expect(result.status).toBe(2);
    expect(result.err).toContain("maspo run: 3 problems");
    expect(result.err).toContain(
      "--run-id: expected a run id of 1-64 letters, digits, '_' or '-' (as `maspo run --nats` prints it), found \"no spaces!\"",
    );
    expect(result.err).toContain("--resume: expected a run id of 1-64 letters, digits, '_' or '-'");
    expect(result.err).toContain(
      '--nats: expected a NATS URL without credentials: a URL on the command line shows in `ps` and shell history, found credentials in "nats://***@127.0.0.1:1" (not shown) (give them with --user and --password-env or --password-file',
    );
    expect(result.err).not.toContain("s3cret");
    expect(result.err).not.toContain("alice");
    expect(result.err).not.toContain("cannot connect");
  });

  it("run reports bad cluster flags together with the spec's problems", async () => {
    const file = brokenCopyOfExample((t) => t.replace("  formatter:\n    role: formatter", "  formater:\n    role: formatter"));
    const result = await maspo(["run", file, "--nats", "nats://127.0.0.1:1", "--run-id", "bad id"]);
    expect(result.status).toBe(2);
    expect(result.err).toContain("3 problems");
    expect(result.err).toContain("--run-id: expected a run id");
    expect(result.err).toContain("prompts.formater: expected a prompt for an agent declared in graph.agents");
  });

  it("worker refuses credentials in the --nats URL with exit 2, pointing to the auth flags, without showing them", async () => {
    const result = await maspo(["worker", "executor", "--nats", "nats://tok3n-value@127.0.0.1:1", "--run", "r1"]);
    expect(result.status).toBe(2);
    expect(result.err).toContain("--nats: expected a NATS URL without credentials");
    expect(result.err).toContain("--token-env or --token-file");
    expect(result.err).not.toContain("tok3n-value");
  });

  it("worker refuses --replicas outside JetStream's 1-5 with exit 2, before connecting", async () => {
    for (const replicas of ["0", "6", "two"]) {
      const result = await maspo(["worker", "executor", "--nats", "nats://127.0.0.1:1", "--replicas", replicas]);
      expect(result.status, replicas).toBe(2);
      expect(result.err).toContain(`expected 1 to 5 copies (JetStream's range; at most the servers in the cluster), found "${replicas}"`);
    }
  });

  it("validate refuses a spec's cluster.replicas outside 1-5, naming the field", async () => {
    const file = brokenCopyOfExample((text) => `${text}\ncluster:\n  replicas: 7\n`);
    const result = await maspo(["validate", file]);
    expect(result.status).toBe(2);
    expect(result.err).toContain("cluster.replicas");
  });

  it("init writes a spec, dataset and schema that validate, and refuses to overwrite without --force", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "maspo-init-")), "project");
    const first = await maspo(["init", dir]);
    expect(first.err).toBe("");
    expect(first.status).toBe(0);
    for (const f of ["maspo.yaml", "data/train.jsonl", "data/heldout.jsonl", "maspo.schema.json"])
      expect(existsSync(join(dir, f))).toBe(true);
    expect(readFileSync(join(dir, "maspo.yaml"), "utf8")).toMatch(/^# yaml-language-server: \$schema=\.\/maspo\.schema\.json/);

    const validated = await maspo(["validate", "maspo.yaml"], { cwd: dir });
    expect(validated.status).toBe(0);

    writeFileSync(join(dir, "maspo.yaml"), "# my edits\n");
    const again = await maspo(["init", dir]);
    expect(again.status).toBe(2);
    expect(again.err).toMatch(/refusing to overwrite .*maspo\.yaml.*--force/);
    expect(readFileSync(join(dir, "maspo.yaml"), "utf8")).toBe("# my edits\n");

    expect((await maspo(["init", dir, "--force"])).status).toBe(0);
    expect((await maspo(["validate", join(dir, "maspo.yaml")])).status).toBe(0);
  });
});

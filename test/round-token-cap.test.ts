/**
 * guards.tokensPerRoundMax end to end (issue 14 item 1), embedded and in cluster mode (a coordinator
 * and 2 executors, 2 evaluators, 1 mutator over a real nats-server, the round's ceiling in the KV
 * spend ledger every worker reserves against): the same spec and seed drop the same steps and return
 * the same prompts either way, every round stays within its cap plus one call's worst case with its
 * round end's train-pool measure counted in it, and the dropped steps are in the report's guards.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "./helpers/nats-server.js";
import {
  BUDGET_CALL_WORST,
  type MaspoProcess,
  type ReportJson,
  SMALL_SPEC,
  exitedWithin,
  outputs,
  readReport,
  removeTempDirs,
  spawnMaspo,
  startWorkers,
  stopAll,
  tempDir,
} from "./fixtures/maspo-processes.js";

/** Round 1's steps may spend 16000 less the ~4800 its round end is reserved: both rounds drop a step. */
const CAP = 16_000;
const CAPPED = ["--set", `guards.tokensPerRoundMax=${CAP}`];

type CappedReport = Omit<ReportJson, "guards" | "rounds"> & {
  guards: { round: number; agent: string; guard: string; detail: string }[];
  rounds: { round: number; tokenCap?: { cap: number; reserved: number; spent: number; measure: number } }[];
};

let server: NatsServer;
let embedded: CappedReport;
/** The embedded run's terminal (not a TTY: one line per round) and its report.md. */
let terminal = "";
let markdown = "";
const procs: MaspoProcess[] = [];

async function runEmbeddedCapped(): Promise<void> {
  const out = await tempDir();
  const proc = spawnMaspo("embedded", ["run", SMALL_SPEC, "--out", out, ...CAPPED]);
  const { code } = await proc.exited;
  if (code !== 0) throw new Error(`embedded run failed (${code}):\n${proc.output()}`);
  terminal = proc.output();
  embedded = (await readReport(out)) as CappedReport;
  markdown = await readFile(join(out, "report.md"), "utf8");
}

beforeAll(async () => {
  [server] = await Promise.all([startNatsServer(), runEmbeddedCapped()]);
}, 120_000);

afterAll(async () => {
  await stopAll(procs);
  await server?.dispose();
  await removeTempDirs();
});

function expectWithinCap(report: CappedReport): void {
  expect(report.rounds.length).toBeGreaterThan(0);
  for (const r of report.rounds) {
    const tc = r.tokenCap;
    expect(tc, `round ${r.round} has no tokenCap`).toBeDefined();
    if (!tc) continue;
    expect(tc.cap).toBe(CAP);
    // The round end's measure is counted in the round, and fits its reserve here.
    expect(tc.spent).toBeGreaterThanOrEqual(tc.measure);
    expect(tc.measure).toBeLessThanOrEqual(tc.reserved);
    expect(tc.spent).toBeLessThan(CAP + BUDGET_CALL_WORST.tokens);
  }
}

describe("a round token cap", () => {
  it("embedded: drops the step each round reaches its ceiling in, says so in the report's guards, and keeps every round within its cap", () => {
    const capEvents = embedded.guards.filter((g) => g.guard === "tokensPerRoundMax");
    expect(capEvents.map((g) => g.round)).toEqual([1, 2]);
    for (const g of capEvents) {
      expect(g.detail).toMatch(/^epoch 1 round \d \S+ dropped: the round reached its token ceiling during it/);
      // Where it happened: the round's terminal line and the report's guards list.
      expect(terminal).toMatch(
        new RegExp(
          `round ${g.round}: train .*of tokensPerRoundMax ${CAP} tokens.*; guard tokensPerRoundMax: epoch 1 round ${g.round} ${g.agent} dropped`,
        ),
      );
      expect(markdown).toContain(`- round ${g.round}, ${g.agent}: tokensPerRoundMax — ${g.detail}`);
    }
    expectWithinCap(embedded);
  });

  it("cluster mode with several workers: the same dropped steps, guard events and returned prompts as the embedded run", async () => {
    const runId = "round-token-cap";
    procs.push(...startWorkers(server.url, runId, { executor: 2, evaluator: 2, mutator: 1 }));
    const out = await tempDir();
    const coordinator = spawnMaspo("coordinator", [
      "run",
      SMALL_SPEC,
      "--nats",
      server.url,
      "--run-id",
      runId,
      "--out",
      out,
      "--json-logs",
      ...CAPPED,
    ]);
    procs.push(coordinator);
    const { code } = await exitedWithin(coordinator, 200_000, procs);
    expect(code, outputs(procs)).toBe(0);
    const report = (await readReport(out)) as CappedReport;
    // The workers' calls beyond a round's ceiling were refused by the KV ledger, not merely run to the step's end.
    expect(coordinator.output()).toMatch(/failed with E_LLM_ROUND_CAP/);
    expect(report.guards).toEqual(embedded.guards);
    expect(report.trajectory).toEqual(embedded.trajectory);
    expect(report.finalPrompts).toEqual(embedded.finalPrompts);
    expectWithinCap(report);
  }, 240_000);
});

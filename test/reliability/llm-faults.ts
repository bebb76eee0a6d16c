/**
 * Reliability case "LLM faults": the small spec's runs on a simlm endpoint that injects faults —
 * 10% of attempts answered 429 (with Retry-After), 500, never (a timeout) or with a malformed body,
 * each request body faulted at most twice — and beyond `maxRetries` (a call faulted more times than
 * the client retries: the task's redelivery must rescue it, or — with one delivery per task — the
 * run end in a clear error). Each
 * scenario runs embedded and on a cluster; each run must end with the fault-free result or a clear
 * error, and both modes the same way.
 */
import { type NatsServer, startNatsServer } from "../helpers/nats-server.js";
import {
  type ReportJson,
  SMALL_SPEC,
  embeddedReport,
  httpSpec,
  spawnMaspo,
  startCountingSim,
  tempDir,
} from "../fixtures/maspo-processes.js";
import type { ServiceRealismInput } from "@maspo/simlm";
import { type CaseResult, zero } from "./figures.js";
import { judgeRun } from "./outcome.js";
import { KEY_ENV, KEY_VAR, type RunMode, endOf, startClusterRun } from "./runs.js";

export interface FaultScenario {
  name: string;
  faults: NonNullable<ServiceRealismInput["faults"]>;
  /** Fields of every endpoint (e.g. maxRetries, timeoutMs). */
  model: Record<string, number>;
  /** Top-level YAML added to the spec (task retries). */
  cluster: string;
}

/** A timeout is a held reply: a short attempt timeout keeps it seconds, not the default minute. */
const SHORT_TIMEOUT = { timeoutMs: 1500 };
const QUICK_TASK_RETRIES = "cluster:\n  backoffMs: [100, 200]\n  maxDeliver: 6\n";

/** 10% of attempts faulted, a quarter of each kind, at most twice per body: the client's retries ride it out. */
export function tenPercent(seed: number): FaultScenario {
  return {
    name: `10% faults (429, 500, timeout, malformed), seed ${seed}`,
    faults: { rate429: 0.025, rate500: 0.025, rateTimeout: 0.025, rateMalformed: 0.025, maxPerRequest: 2, seed },
    model: SHORT_TIMEOUT,
    cluster: "",
  };
}

/** No client retries: every faulted call is beyond maxRetries, so only the task's redelivery gets it through. */
export const BEYOND_RETRIES_RESCUED: FaultScenario = {
  name: "10% faults, maxRetries 0 (each fault beyond the client's retries; task redelivery)",
  faults: { rate429: 0.03, rate500: 0.04, rateMalformed: 0.03, maxPerRequest: 3, seed: 4 },
  model: { maxRetries: 0, ...SHORT_TIMEOUT },
  cluster: QUICK_TASK_RETRIES,
};

/** Half the attempts fail, no client retries, two deliveries per task: beyond every retry, so the run must stop with a clear error (seed 6: the preflight probes get through, so it stops mid-run). */
export const BEYOND_RETRIES_LASTING: FaultScenario = {
  name: "50% HTTP 500, maxRetries 0, cluster.maxDeliver 2 (beyond every retry)",
  faults: { rate500: 0.5, maxPerRequest: 1_000_000, seed: 6 },
  model: { maxRetries: 0, ...SHORT_TIMEOUT },
  cluster: "cluster:\n  backoffMs: [50]\n  maxDeliver: 2\n",
};

export interface LlmFaultOptions {
  scenarios: FaultScenario[];
  modes?: RunMode[];
  reference?: ReportJson;
}

export async function measureLlmFaults(options: LlmFaultOptions): Promise<CaseResult> {
  const started = Date.now();
  const modes = options.modes ?? ["embedded", "cluster"];
  const reference = options.reference ?? (await embeddedReport(SMALL_SPEC));
  const server: NatsServer | undefined = modes.includes("cluster") ? await startNatsServer() : undefined;
  const rows: CaseResult["rows"] = [];
  let n = 0;
  try {
    for (const scenario of options.scenarios) {
      const outcomes: string[] = [];
      for (const mode of modes) {
        const runStarted = Date.now();
        const sim = await startCountingSim({ faults: scenario.faults, retryAfterMs: 20 });
        try {
          const spec = await httpSpec(sim.url, KEY_VAR, scenario.cluster, scenario.model);
          const runId = `rel-llm-faults-${++n}`;
          let end;
          if (mode === "cluster" && server) {
            const run = await startClusterRun(spec, server.url, runId, { counts: { executor: 1, evaluator: 1, mutator: 1 } });
            end = await endOf(run.coordinator, run.out, run.workers, 240_000);
          } else {
            const out = await tempDir("maspo-rel-");
            end = await endOf(spawnMaspo("embedded", ["run", spec, "--out", out, "--json-logs"], KEY_ENV), out, [], 240_000);
          }
          // A clear error here names the endpoint that failed.
          const outcome = judgeRun(end, reference, /endpoint '(sim|sim-judge)'|sim-agent|sim-judge/);
          outcomes.push(`${outcome.kind}${outcome.code ? ` ${outcome.code}` : ""}`);
          rows.push({
            scenario: scenario.name,
            mode,
            exit: end.hung ? "hung" : String(end.code),
            outcome: outcome.kind,
            ...(outcome.code ? { code: outcome.code } : {}),
            retries: end.report?.cost.retries ?? "",
            failedAttempts: end.report?.cost.failedAttempts ?? "",
            endpointAnswered: sim.total(),
            seconds: Number(((Date.now() - runStarted) / 1000).toFixed(1)),
            why: outcome.why,
          });
        } finally {
          await sim.close();
        }
      }
      const last = rows[rows.length - 1];
      if (last) last.modesAgree = outcomes.every((o) => o === outcomes[0]);
    }
  } finally {
    await server?.dispose();
  }
  const faulted = rows.filter((r) => Number(r.failedAttempts) > 0 || r.outcome === "clear error").length;
  return {
    id: "llm-faults",
    title: "LLM faults (10%: 429 + Retry-After, 500, timeout, malformed; beyond maxRetries)",
    repeats: rows.length,
    rows,
    seconds: (Date.now() - started) / 1000,
    figures: [
      zero("runs neither the fault-free result nor a clear error", rows.filter((r) => r.outcome === "unclear").length),
      zero(
        "scenarios whose embedded and cluster runs ended differently",
        rows.filter((r) => r.modesAgree === false).length,
        "the same outcome (result, or error with the same E_ code) in both modes",
      ),
      {
        name: "runs that met faults",
        value: faulted,
        target: "informational",
        met: true,
        note: "failed attempts in the report, or a run stopped by them",
      },
    ],
  };
}

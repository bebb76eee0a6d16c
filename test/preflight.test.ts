/**
 * A first run on a real endpoint tells the truth, in both modes alike. Before anything is spent, every
 * endpoint answers a one-token call made by the role that uses it: an unreachable host, a refused key,
 * an unknown model and a server that is not OpenAI-compatible each refuse the run with exit status 2,
 * naming the endpoint's id, model, URL and the cause. An outage that starts mid-run stops it with exit
 * status 1 and the endpoint's last error, its checkpoint kept; once the endpoint is back, --resume
 * finishes it with the fault-free run's final prompts.
 */
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type NatsServer, startNatsServer } from "./helpers/nats-server.js";
import {
  type MaspoProcess,
  type ReportJson,
  SMALL_SPEC,
  embeddedReport,
  exitedWithin,
  httpSpec,
  outputs,
  readReport,
  removeTempDirs,
  spawnMaspo,
  startCountingSim,
  startWorkers,
  stopAll,
  tempDir,
  waitForStep,
} from "./fixtures/maspo-processes.js";

const KEY_ENV = { MASPO_TEST_KEY: "the-wrong-key" };
let nats: NatsServer;
let endpoints: Server;
let base = "";
let procs: MaspoProcess[] = [];
let reference: ReportJson;

/** Endpoints that fail the way real ones do, by path: a refused key, an unknown model, a web page. */
function failingEndpoints(): Server {
  return createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    req.resume();
    if (req.url?.startsWith("/unauthorized/")) {
      return json(401, {
        error: { message: "Incorrect API key provided: the-w****key.", type: "invalid_request_error", code: "invalid_api_key" },
      });
    }
    if (req.url?.startsWith("/unknown-model/v1/models"))
      return json(200, { object: "list", data: [{ id: "gpt-4o-mini", object: "model" }] });
    if (req.url?.startsWith("/unknown-model/")) {
      return json(404, {
        error: { message: "The model `sim-agent` does not exist", type: "invalid_request_error", code: "model_not_found" },
      });
    }
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><html><body>It works!</body></html>");
  });
}

beforeAll(async () => {
  nats = await startNatsServer();
  endpoints = failingEndpoints();
  await new Promise<void>((r) => endpoints.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(endpoints.address() as AddressInfo).port}`;
  reference = await embeddedReport(SMALL_SPEC);
}, 60_000);

afterEach(async () => {
  await stopAll(procs);
  procs = [];
});

afterAll(async () => {
  await nats?.dispose();
  await new Promise((r) => endpoints?.close(r));
  await removeTempDirs();
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function embedded(spec: string, extra: string[] = []): Promise<{ code: number | null; out: string; proc: MaspoProcess }> {
  const out = await tempDir();
  const proc = spawnMaspo("embedded", ["run", spec, "--out", out, ...extra], KEY_ENV);
  procs.push(proc);
  return { ...(await exitedWithin(proc, 90_000, [proc])), out, proc };
}

async function cluster(spec: string, runId: string): Promise<{ code: number | null; proc: MaspoProcess }> {
  procs.push(...startWorkers(nats.url, runId, { executor: 1, evaluator: 1, mutator: 1 }, [], KEY_ENV));
  const out = await tempDir();
  const proc = spawnMaspo("coordinator", ["run", spec, "--nats", nats.url, "--run-id", runId, "--out", out], KEY_ENV);
  procs.push(proc);
  return { ...(await exitedWithin(proc, 90_000, procs)), proc };
}

const CASES = [
  {
    name: "an unreachable host",
    url: async () => `http://127.0.0.1:${await closedPort()}/v1`,
    says: /unreachable: no answer from http:\/\/127\.0\.0\.1:\d+\/v1/,
  },
  {
    name: "a refused API key",
    url: () => Promise.resolve(`${base}/unauthorized/v1`),
    says: /unauthorized: the server refused the API key in MASPO_TEST_KEY \(HTTP 401\)/,
  },
  {
    name: "an unknown model",
    url: () => Promise.resolve(`${base}/unknown-model/v1`),
    says: /unknown-model: the server does not serve model "sim-agent" \(HTTP 404\); it lists: gpt-4o-mini/,
  },
  {
    name: "a server that is not OpenAI-compatible",
    url: () => Promise.resolve(`${base}/html/v1`),
    says: /not-openai-compatible: .* does not answer like an OpenAI-compatible chat completions API/,
  },
];

describe("preflight", () => {
  it.each(CASES)(
    "refuses $name before anything starts, exit 2, embedded and on a cluster alike",
    async ({ name, url, says }) => {
      const spec = await httpSpec(await url(), "MASPO_TEST_KEY");
      const e = await embedded(spec);
      const c = await cluster(spec, `preflight-${name.replace(/[^a-z]+/g, "-").replace(/^-|-$/g, "")}`);
      for (const run of [e, c]) {
        expect(run.code, run.proc.output()).toBe(2);
        expect(run.proc.output()).toMatch(/preflight: 2 endpoints cannot serve this run; nothing was started/);
        expect(run.proc.output()).toMatch(
          new RegExp(
            `endpoint 'sim' \\(model sim-agent at ${(await url()).includes("127.0.0.1:") && name === "an unreachable host" ? "http://127\\.0\\.0\\.1:\\d+/v1" : "http"}`,
          ),
        );
        expect(run.proc.output()).toMatch(says);
        expect(run.proc.output()).not.toContain("the-wrong-key");
      }
    },
    120_000,
  );
});

describe("an outage mid-run", () => {
  it.each(["embedded", "cluster"] as const)(
    "stops the %s run with exit 1 and the endpoint's last error, and --resume finishes it once the endpoint is back",
    async (mode) => {
      const sim = await startCountingSim();
      const port = sim.port;
      const spec = await httpSpec(sim.url, "MASPO_TEST_KEY", "cluster:\n  backoffMs: [10]\n  maxDeliver: 2\n", { maxRetries: 0 });
      const runId = `outage-resume-${mode}`;
      const out = await tempDir();
      if (mode === "cluster") procs.push(...startWorkers(nats.url, runId, { executor: 1, evaluator: 1, mutator: 1 }, [], KEY_ENV));
      const args = mode === "cluster" ? ["--nats", nats.url, "--run-id", runId] : [];
      const first = spawnMaspo("first", ["run", spec, "--out", out, "--json-logs", ...args], KEY_ENV);
      procs.push(first);
      await waitForStep(first, 3);
      await sim.close();
      const stopped = await exitedWithin(first, 90_000, procs);
      expect(stopped.code, outputs(procs)).toBe(1);
      expect(first.output()).toMatch(/failed after \d+ attempts: E_TASK_TRANSIENT: .*endpoint '(sim|sim-judge)'.*connection/);

      const back = await startCountingSim({ port });
      try {
        const resume = mode === "cluster" ? ["--nats", nats.url, "--resume", runId] : ["--resume", out];
        const second = spawnMaspo("resumed", ["run", spec, "--out", out, "--quiet", ...resume], KEY_ENV);
        procs.push(second);
        const done = await exitedWithin(second, 90_000, procs);
        expect(done.code, outputs(procs)).toBe(0);
        const report = await readReport(out);
        expect(report.finalPrompts).toEqual(reference.finalPrompts);
        expect(report.delta.heldOut).toEqual(reference.delta.heldOut);
      } finally {
        await back.close();
      }
    },
    150_000,
  );
});

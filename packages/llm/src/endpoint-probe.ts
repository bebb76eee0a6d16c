/**
 * Probing one endpoint for preflight: a one-token chat completion (no cache, no retries beyond a
 * short second chance for weather), and, when the server says 404, its model list — so a wrong base
 * URL, key or model name, or a server that is not OpenAI-compatible, is told apart and named.
 */
import type { EndpointProbe, ProbeProblem } from "@maspo/core";
import type OpenAI from "openai";
import { failureFromSdkError, type AttemptFailure } from "./attempt-failure.js";
import type { LlmEndpoint } from "./llm-endpoint.js";

/** What a probe asks: one token of anything proves the endpoint serves chat completions for the model. */
export const PROBE_PROMPT = "Reply with OK.";

/** How long a probe waits for one answer: an endpoint that cannot answer one token in this is unusable. */
const PROBE_TIMEOUT_MS = 20_000;
/** A 429, 5xx or timeout is tried again this many times, a second apart: a busy endpoint is still an endpoint. */
const PROBE_RETRIES = 2;

export interface ProbeTarget {
  endpoint: LlmEndpoint;
  sdk: OpenAI;
  /** Scrubs the endpoint's key from any text a server sent back. */
  scrub: (text: string) => string;
  sleep: (ms: number) => Promise<void>;
}

export async function probeEndpoint(target: ProbeTarget): Promise<EndpointProbe> {
  const { endpoint } = target;
  const base = { endpointId: endpoint.id, model: endpoint.model, baseURL: endpoint.baseURL };
  let failure: AttemptFailure | undefined;
  for (let attempt = 0; attempt <= PROBE_RETRIES; attempt++) {
    if (attempt > 0) await target.sleep(1000);
    failure = await oneCall(target);
    if (!failure) return { ...base, ok: true };
    if (!failure.retryable || failure.kind === "malformed" || failure.kind === "connection") break;
  }
  const f = failure as AttemptFailure;
  const problem = problemOf(f);
  const models = problem === "unknown-model" || (f.status === 404 && problem === "refused") ? await modelList(target) : undefined;
  const finalProblem: ProbeProblem =
    f.status === 404 && models !== undefined && !models.includes(endpoint.model) ? "unknown-model" : problem;
  return {
    ...base,
    ok: false,
    problem: finalProblem,
    ...(f.status !== undefined ? { status: f.status } : {}),
    message: target.scrub(explain(finalProblem, f, endpoint, models)),
  };
}

async function oneCall(target: ProbeTarget): Promise<AttemptFailure | undefined> {
  try {
    const raw: unknown = await target.sdk.chat.completions.create(
      { model: target.endpoint.model, messages: [{ role: "user", content: PROBE_PROMPT }], max_tokens: 1, temperature: 0 },
      { timeout: Math.min(PROBE_TIMEOUT_MS, target.endpoint.timeoutMs), maxRetries: 0 },
    );
    const choices = (raw as { choices?: unknown } | null)?.choices;
    if (!Array.isArray(choices))
      return { kind: "malformed", retryable: false, message: "the answer is not a chat completion (no choices)" };
    return undefined;
  } catch (err) {
    return (
      failureFromSdkError(err, Date.now()) ?? {
        kind: "connection",
        retryable: false,
        message: err instanceof Error ? err.message : String(err),
      }
    );
  }
}

function problemOf(f: AttemptFailure): ProbeProblem {
  switch (f.kind) {
    case "connection":
      return "unreachable";
    case "timeout":
      return "unreachable";
    case "malformed":
      return "not-openai-compatible";
    case "rate-limited":
    case "server":
      return "unavailable";
    case "http":
      if (f.status === 401 || f.status === 403) return "unauthorized";
      if (f.status === 404 && /model/i.test(f.message)) return "unknown-model";
      return "refused";
  }
}

/** The server's model ids, when it lists them (GET /models); undefined when it does not. */
async function modelList(target: ProbeTarget): Promise<string[] | undefined> {
  try {
    const page = await target.sdk.models.list({ timeout: Math.min(PROBE_TIMEOUT_MS, target.endpoint.timeoutMs), maxRetries: 0 });
    return page.data.map((m) => m.id);
  } catch {
    return undefined; // many servers list no models; the chat call's own answer then stands
  }
}

function explain(problem: ProbeProblem, f: AttemptFailure, endpoint: LlmEndpoint, models: string[] | undefined): string {
  const status = f.status !== undefined ? ` (HTTP ${f.status})` : "";
  switch (problem) {
    case "unreachable":
      return `no answer from ${endpoint.baseURL}: ${f.message}; check the URL, that the server is up, and the network`;
    case "unauthorized":
      return endpoint.apiKeyEnv !== undefined
        ? `the server refused the API key in ${endpoint.apiKeyEnv}${status}: ${f.message}`
        : `the server wants an API key${status}: set apiKeyEnv to the environment variable holding it`;
    case "unknown-model":
      return `the server does not serve model "${endpoint.model}"${status}${models ? `; it lists: ${models.slice(0, 20).join(", ")}` : `: ${f.message}`}`;
    case "not-openai-compatible":
      return `${endpoint.baseURL} does not answer like an OpenAI-compatible chat completions API (${f.message}); check the base URL (it usually ends in /v1)`;
    case "unavailable":
      return `the endpoint stayed unavailable${status} over ${PROBE_RETRIES + 1} tries: ${f.message}`;
    case "refused":
      return `the server refused a minimal chat completion${status}: ${f.message}; check the base URL (${endpoint.baseURL}) and model (${endpoint.model})`;
  }
}

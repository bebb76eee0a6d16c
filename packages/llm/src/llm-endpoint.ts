/**
 * A model endpoint as the client sees it — the run spec's model entry with its id — and how it
 * becomes an `openai` SDK connection: base URL, API key from the environment, and the fetch to use
 * (simlm's in-process fetch for `simlm://` URLs).
 */
import { z } from "zod";
import { ValidationError, type Issue } from "@maspo/core";
import type { ModelEndpoint } from "@maspo/core";
import { simlmWorldOf } from "@maspo/core";
import type { Env } from "@maspo/core";
import { ModelEntrySchema } from "@maspo/core";
import { issuesFromZod } from "@maspo/core";
import { LlmError } from "./llm-error.js";

/** The SDK needs an http URL; requests to it never leave the process because the injected fetch answers them. */
export const SIMLM_SDK_BASE_URL = "http://simlm.invalid/v1";
/** simlm ignores credentials; the SDK insists on a non-empty key. */
const SIMLM_API_KEY = "simlm-no-key";
/** Sent to endpoints that declare no `apiKeyEnv` (local servers without auth); the SDK insists on a key. */
const NO_API_KEY = "no-key";

/** The spec's model entry plus its id: one schema for an endpoint, wherever it is read. */
export const llmEndpointSchema = ModelEntrySchema.extend({ id: z.string().min(1) });

export type LlmEndpoint = ModelEndpoint;

/** Supplies a fetch for an endpoint (simlm's in-process one), or undefined to use the global fetch. */
export type FetchFor = (endpoint: LlmEndpoint) => typeof fetch | undefined;

/** What the SDK client for one endpoint is built from. */
export interface SdkConnection {
  baseURL: string;
  apiKey: string;
  fetch: typeof fetch | undefined;
}

export function isSimlmEndpoint(endpoint: LlmEndpoint): boolean {
  return simlmWorldOf(endpoint) !== undefined;
}

/** Validate endpoint declarations, reporting every problem at once (shape problems and duplicate ids alike). */
export function parseLlmEndpoints(input: unknown): LlmEndpoint[] {
  const parsed = z.array(llmEndpointSchema).safeParse(input);
  const issues: Issue[] = parsed.success ? [] : issuesFromZod(parsed.error, input);
  if (Array.isArray(input)) {
    const seen = new Set<unknown>();
    input.forEach((e: unknown, i) => {
      const id = e !== null && typeof e === "object" ? (e as { id?: unknown }).id : undefined;
      if (typeof id !== "string") return;
      if (seen.has(id)) issues.push({ path: `[${i}].id`, expected: "an endpoint id not used before", found: JSON.stringify(id) });
      seen.add(id);
    });
  }
  if (issues.length > 0 || !parsed.success) throw new ValidationError("LLM endpoints", issues);
  return parsed.data;
}

/**
 * Resolve every endpoint's connection, collecting all problems (missing key variables, simlm endpoints
 * without a fetch) into one E_LLM_CONFIG error. Error text names variables, never their values.
 */
export function resolveConnections(
  endpoints: readonly LlmEndpoint[],
  env: Env,
  fetchFor: FetchFor | undefined,
): Map<string, SdkConnection> {
  const out = new Map<string, SdkConnection>();
  const problems: { endpoint: LlmEndpoint; text: string }[] = [];
  for (const endpoint of endpoints) {
    const injected = fetchFor?.(endpoint);
    if (isSimlmEndpoint(endpoint)) {
      if (!injected) {
        problems.push({
          endpoint,
          text:
            `endpoint '${endpoint.id}' uses ${endpoint.baseURL}, the in-process simulated LLM, but no simlm fetch was supplied; ` +
            `run it embedded (which wires simlm in) or point baseURL at a running 'maspo sim serve' (http://host:port/v1)`,
        });
        continue;
      }
      out.set(endpoint.id, { baseURL: SIMLM_SDK_BASE_URL, apiKey: SIMLM_API_KEY, fetch: injected });
      continue;
    }
    let apiKey = NO_API_KEY;
    if (endpoint.apiKeyEnv !== undefined) {
      const value = env[endpoint.apiKeyEnv];
      if (value === undefined || value.trim() === "") {
        problems.push({
          endpoint,
          text: `endpoint '${endpoint.id}' reads its API key from the environment variable ${endpoint.apiKeyEnv}, which is ${value === undefined ? "not set" : "empty"}; export it before starting maspo`,
        });
        continue;
      }
      apiKey = value;
    }
    out.set(endpoint.id, { baseURL: endpoint.baseURL, apiKey, fetch: injected });
  }
  if (problems.length > 0) {
    const bad = problems.map((p) => p.endpoint);
    throw new LlmError("E_LLM_CONFIG", `LLM endpoints are not usable:\n${problems.map((p) => `  - ${p.text}`).join("\n")}`, {
      endpointId: bad.map((e) => e.id).join(","),
      model: bad.map((e) => e.model).join(","),
      attempts: 0,
      retryable: false,
    });
  }
  return out;
}

/**
 * Checks on model endpoints: every reference names a declared endpoint, every agent resolves to a
 * serving model, http(s) endpoints name the environment variable of their key, and every endpoint
 * the run will call has that variable set. Key values are never read into messages.
 */
import type { Issue } from "../errors.js";
import { didYouMean } from "../did-you-mean.js";
import { formatPath } from "../issue-path.js";
import type { SpecSketch } from "./spec-sketch.js";

export type Env = Readonly<Record<string, string | undefined>>;

const HTTP = /^https?:\/\//;

function referenceIssues(sketch: SpecSketch): Issue[] {
  const issues: Issue[] = [];
  const reported = new Set<string>();
  for (const ref of sketch.modelRefs) {
    const at = formatPath(ref.path);
    if (sketch.models.has(ref.id) || reported.has(at)) continue;
    reported.add(at);
    const declared = [...sketch.models.keys()];
    const issue: Issue = {
      path: at,
      expected: declared.length > 0 ? `a model id declared in models (${declared.join(", ")})` : "a model id declared in models",
      found: `unknown model "${ref.id}"`,
    };
    const hint = didYouMean(ref.id, declared);
    if (hint) issue.hint = hint;
    issues.push(issue);
  }
  for (const a of sketch.agents) {
    if (a.model === undefined && sketch.servingDefault === undefined) {
      issues.push({
        path: formatPath([...a.path, "model"]),
        expected: `a serving model for agent "${a.id}": its own model, or serving.default`,
        found: "nothing (the field is missing)",
      });
    }
  }
  return issues;
}

/** localhost, 127.0.0.0/8 or [::1]: an endpoint on this machine. */
export function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
  } catch {
    return false;
  }
}

function keyIssues(sketch: SpecSketch, env: Env, checkEnv: boolean): Issue[] {
  const issues: Issue[] = [];
  const uses = new Map<string, string[]>();
  for (const ref of sketch.modelRefs) {
    const list = uses.get(ref.id) ?? [];
    if (!list.includes(ref.use)) list.push(ref.use);
    uses.set(ref.id, list);
  }
  for (const [id, model] of sketch.models) {
    if (model.baseURL === undefined || !HTTP.test(model.baseURL)) continue;
    // A server on this machine (vLLM, Ollama, a llama.cpp server) usually takes no key: none is required.
    if (!model.statesApiKeyEnv && isLoopback(model.baseURL)) continue;
    if (!model.statesApiKeyEnv) {
      issues.push({
        path: formatPath(["models", id, "apiKeyEnv"]),
        expected:
          "the name of the environment variable that holds this endpoint's API key (required for http(s) endpoints not on localhost)",
        found: "nothing (the field is missing)",
        hint: "e.g. apiKeyEnv: OPENAI_API_KEY",
      });
      continue;
    }
    const used = uses.get(id);
    if (model.apiKeyEnv === undefined) continue; // not a variable name: the schema reports it
    const value = env[model.apiKeyEnv];
    if (checkEnv && used !== undefined && (value === undefined || value.trim() === "")) {
      issues.push({
        path: formatPath(["models", id, "apiKeyEnv"]),
        expected: `environment variable ${model.apiKeyEnv} to be set: the run calls this endpoint for ${used.join(", ")}`,
        found: `${model.apiKeyEnv} ${value === undefined ? "unset" : "empty"}`,
        hint: `export ${model.apiKeyEnv}=<your key> before running`,
      });
    }
  }
  return issues;
}

export function checkModels(sketch: SpecSketch, env: Env, checkEnv: boolean): Issue[] {
  return [...referenceIssues(sketch), ...keyIssues(sketch, env, checkEnv)];
}

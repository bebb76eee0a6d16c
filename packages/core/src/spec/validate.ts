/**
 * Validation that refuses to start: the schema and every cross-field check run on the same input,
 * and all their problems come back together, so a spec is fixed in one pass.
 */
import { isAbsolute, resolve } from "node:path";
import type { Issue } from "../errors.js";
import { checkDataset } from "./dataset-checks.js";
import { checkGraph } from "./graph-checks.js";
import { checkMetric } from "./metric-checks.js";
import { type Env, checkModels } from "./model-checks.js";
import { checkPrompts } from "./prompt-checks.js";
import { type RunSpec, RunSpecSchema } from "./schema.js";
import { checkSettings } from "./settings-checks.js";
import { sketchSpec } from "./spec-sketch.js";
import { checkWorlds } from "./world-checks.js";
import { zodIssuesToIssues, zodErrorMap } from "../zod-issues.js";

export interface ValidateOptions {
  /** Where API key variables are looked up; default `process.env`. */
  env?: Env;
  /** Directory that dataset and world paths are relative to (the spec file's); default the working directory. */
  baseDir?: string;
  /** Check that the API key variables of the endpoints the run uses are set; default true. */
  checkEnv?: boolean;
  /**
   * The bundled simlm world names (simlm's `bundledWorldNames()`; core does not know them): given, every
   * `simlm://<world>` endpoint and simlm dataset must name one of them (or the spec's world file).
   */
  simlmWorlds?: readonly string[];
}

export type SpecValidation = { ok: true; spec: RunSpec } | { ok: false; issues: Issue[] };

function dedupe(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.expected}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const isPathLike = (world: string) => /[\\/]|\.ya?ml$/i.test(world);

/** File paths in the spec, made absolute, so the parsed spec means the same from any working directory. */
function resolvePaths(input: RunSpec, baseDir: string): RunSpec {
  let spec = input;
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const source = spec.dataset.source;
  if (source.kind === "jsonl" || source.kind === "json" || source.kind === "csv") {
    const files = { ...source };
    for (const key of ["train", "heldOut", "file"] as const) {
      const file = source[key];
      if (file !== undefined) files[key] = at(file);
    }
    spec = { ...spec, dataset: { ...spec.dataset, source: files } };
  }
  const metric = spec.task.metric;
  if (metric.kind === "module") spec = { ...spec, task: { ...spec.task, metric: { ...metric, path: at(metric.path) } } };
  if (source.kind === "simlm" && isPathLike(source.world)) {
    spec = { ...spec, dataset: { ...spec.dataset, source: { ...source, world: at(source.world) } } };
  }
  return spec;
}

/** Every problem with a raw (parsed YAML/JSON) spec, or the typed spec with defaults filled and paths resolved. */
export async function validateSpec(raw: unknown, options: ValidateOptions = {}): Promise<SpecValidation> {
  const baseDir = options.baseDir ?? process.cwd();
  const parsed = RunSpecSchema.safeParse(raw, { reportInput: true, error: zodErrorMap });
  const sketch = sketchSpec(raw);
  const issues = dedupe([
    ...(parsed.success ? [] : zodIssuesToIssues(parsed.error.issues)),
    ...checkGraph(sketch),
    ...checkPrompts(sketch),
    ...checkModels(sketch, options.env ?? process.env, options.checkEnv ?? true),
    ...checkSettings(sketch),
    ...(await checkDataset(sketch, baseDir)),
    ...(await checkMetric(sketch, baseDir)),
    ...checkWorlds(sketch, baseDir, options.simlmWorlds),
  ]);
  if (!parsed.success || issues.length > 0) return { ok: false, issues };
  return { ok: true, spec: resolvePaths(parsed.data, baseDir) };
}

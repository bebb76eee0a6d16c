/**
 * A sweep: one base run spec, overridden by a grid and/or a list of named configurations, each run
 * under several seeds — the many runs of a comparison as one job. This module reads the sweep file,
 * expands it into its runs, and validates every expanded spec before anything starts, reporting the
 * problems of every run at once.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import {
  type Issue,
  type RunSpec,
  STARTING_SETTINGS,
  type SpecOverride,
  ValidationError,
  issuesFromZod,
  loadSpecFile,
  parseSpecText,
} from "@maspo/core";
import { bundledWorldNames } from "@maspo/simlm";
import { z } from "zod";

const pathKey = z.string().min(1).meta({ description: "A spec field path, e.g. search.beamSize or graph.agents[1].model." });

export const SweepFileSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, "1-40 letters, digits, '_' or '-'")
    .optional()
    .meta({ description: "Names the sweep's runs on a cluster (default: the file's name)." }),
  base: z.string().min(1).meta({ description: "The run spec every run starts from, relative to the sweep file." }),
  seeds: z
    .array(z.int().min(0))
    .min(1)
    .optional()
    .meta({ description: "Each configuration runs once per seed (default: the base spec's seed)." }),
  grid: z
    .record(pathKey, z.array(z.unknown()).min(1))
    .optional()
    .meta({ description: "Field path → values; every combination is a configuration." }),
  configurations: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9_.=-]{1,60}$/, "1-60 letters, digits, '_', '.', '=' or '-'"),
        set: z.record(pathKey, z.unknown()).default({}),
      }),
    )
    .min(1)
    .optional()
    .meta({ description: "Named override sets, each crossed with the grid." }),
  maxParallel: z.int().min(1).max(256).optional().meta({ description: "Runs at once (default 2; --max-parallel overrides)." }),
});
export type SweepFile = z.infer<typeof SweepFileSchema>;

/** The sweep file's JSON Schema, for editors (committed as maspo-sweep.schema.json; `maspo schema --sweep`). */
export function sweepFileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(
    SweepFileSchema.meta({ title: "maspo sweep", description: "A base run spec, overrides by path and seeds: many runs as one job." }),
    {
      io: "input",
      target: "draft-2020-12",
    },
  ) as Record<string, unknown>;
}

/** Whether a parsed document is a sweep file (it names a base spec) rather than a run spec. */
export function isSweepDocument(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && "base" in raw && !("task" in raw);
}

/** One run of a sweep: its configuration, seed, the overrides that make its spec, and the spec. */
export interface SweepRun {
  /** `<configuration>/seed-<n>`: also its directory under the sweep's output. */
  label: string;
  configuration: string;
  seed: number;
  overrides: SpecOverride[];
  spec: RunSpec;
}

export interface SweepPlan {
  name: string;
  file: string;
  base: string;
  /** Directory of the base spec: its relative dataset paths resolve against it. */
  specDir: string;
  maxParallel: number | undefined;
  runs: SweepRun[];
  /** Configuration names in plan order, each with its overrides. */
  configurations: { name: string; overrides: SpecOverride[] }[];
}

/** The configurations of a sweep: its named sets crossed with its grid's combinations, in file order. */
export function expandConfigurations(file: SweepFile): { name: string; overrides: SpecOverride[] }[] {
  const named = file.configurations ?? [{ name: "", set: {} }];
  const axes = Object.entries(file.grid ?? {});
  let points: { parts: string[]; overrides: SpecOverride[] }[] = [{ parts: [], overrides: [] }];
  for (const [path, values] of axes) {
    points = points.flatMap((p) =>
      values.map((value) => ({
        parts: [...p.parts, `${lastSegment(path)}=${short(value)}`],
        overrides: [...p.overrides, { path, value }],
      })),
    );
  }
  const out = named.flatMap((c) =>
    points.map((p) => ({
      name: [c.name, ...p.parts].filter((s) => s !== "").join(",") || "base",
      overrides: [...Object.entries(c.set).map(([path, value]) => ({ path, value })), ...p.overrides],
    })),
  );
  return out.map((c) => ({ ...c, name: safeName(c.name) }));
}

function lastSegment(path: string): string {
  return path.split(".").at(-1) ?? path;
}

/** A value as a configuration name shows it: scalars as written, anything else by a short hash. */
function short(value: unknown): string {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
  if (value !== null && typeof value === "object" && "preset" in value) return String((value as { preset: unknown }).preset);
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 6);
}

/** A name usable as a directory and in a run id. */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.=,-]+/g, "_").slice(0, 100);
}

/** Reads and validates a sweep file and every spec it expands to; throws with every problem of every run. */
export async function loadSweepPlan(
  path: string,
  options: { env: Record<string, string | undefined>; checkEnv: boolean },
): Promise<SweepPlan> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ValidationError(path, [{ path: "(file)", expected: "a readable sweep file (YAML or JSON)", found: String(err) }]);
  }
  const raw = parseSpecText(text, path).raw;
  const parsed = SweepFileSchema.safeParse(raw);
  if (!parsed.success) throw new ValidationError(path, issuesFromZod(parsed.error, raw));
  const sweep = parsed.data;
  const base = resolve(dirname(file), sweep.base);
  const configurations = expandConfigurations(sweep);
  const duplicate = configurations.find((c, i) => configurations.findIndex((d) => d.name === c.name) !== i);
  if (duplicate) {
    throw new ValidationError(path, [
      { path: "configurations", expected: "distinct configuration names", found: `"${duplicate.name}" twice` },
    ]);
  }

  const issues: Issue[] = [];
  const runs: SweepRun[] = [];
  let baseSeed: number | undefined;
  const baseReasons = await sectionReasons(base);
  for (const c of configurations) {
    for (const seed of sweep.seeds ?? [undefined]) {
      const overrides = [
        ...c.overrides,
        ...gridReasons(sweep, c.overrides, baseReasons),
        ...(seed !== undefined ? [{ path: "seed", value: seed }] : []),
      ];
      try {
        const spec = await loadSpecFile(base, {
          env: options.env,
          checkEnv: options.checkEnv,
          overrides,
          simlmWorlds: bundledWorldNames(),
        });
        baseSeed ??= spec.seed;
        runs.push({ label: `${c.name}/seed-${spec.seed}`, configuration: c.name, seed: spec.seed, overrides, spec });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        const at = `${c.name}${seed !== undefined ? ` (seed ${seed})` : ""}`;
        for (const i of err.issues) issues.push({ ...i, path: `[${at}] ${i.path}` });
      }
    }
  }
  if (issues.length > 0) throw new ValidationError(`${path} (base ${sweep.base})`, dedupeIssues(issues));
  return {
    name: sweep.name ?? safeName(file.replace(/^.*\//, "").replace(/\.(ya?ml|json)$/, "")).slice(0, 40),
    file,
    base,
    specDir: dirname(base),
    maxParallel: sweep.maxParallel,
    runs,
    configurations,
  };
}

/** The `reason` of each starting-config section of the base spec, as written (unreadable: none). */
async function sectionReasons(base: string): Promise<Record<string, string>> {
  let raw: unknown;
  try {
    raw = parseSpecText(await readFile(base, "utf8"), base).raw;
  } catch {
    // The base's own problems are reported by its validation below, once per run.
    return {};
  }
  const out: Record<string, string> = {};
  for (const section of new Set(STARTING_SETTINGS.map((s) => s.section))) {
    const reason = (raw as Record<string, Record<string, unknown> | undefined> | null)?.[section]?.["reason"];
    if (typeof reason === "string" && reason.trim() !== "") out[section] = reason.trim();
  }
  return out;
}

/**
 * A grid axis over a setting of the method's starting config (K, T, E, operators, buffer budget,
 * patience) is the sweep's stated reason for overriding it: each such section's `reason` says so
 * (after the base spec's own reason, if any), unless the configuration sets that reason itself.
 */
function gridReasons(sweep: SweepFile, overrides: readonly SpecOverride[], baseReasons: Record<string, string>): SpecOverride[] {
  const bySection = new Map<string, string[]>();
  for (const [path, values] of Object.entries(sweep.grid ?? {})) {
    const setting = STARTING_SETTINGS.find((s) => `${s.section}.${s.key}` === path);
    if (!setting) continue;
    const line = `${path} varied by the sweep's grid (${values.map((v) => (Array.isArray(v) ? `[${v.join(", ")}]` : String(v))).join(", ")})`;
    bySection.set(setting.section, [...(bySection.get(setting.section) ?? []), line]);
  }
  return [...bySection.entries()]
    .filter(([section]) => !overrides.some((o) => o.path === `${section}.reason`))
    .map(([section, lines]) => ({
      path: `${section}.reason`,
      value: [baseReasons[section], `a comparison: ${lines.join("; ")}`].filter((x) => x !== undefined).join("; "),
    }));
}

/** The base spec's own problems repeat in every run: each is reported once. */
function dedupeIssues(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path.replace(/^\[[^\]]*\] /, "")}|${i.expected}|${i.found}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The parts of a possibly invalid spec that the cross-field checks need, extracted leniently: one
 * broken field must not hide the problems elsewhere, so each part is taken wherever it is readable
 * (a graph with one malformed agent still gets its cycles named).
 */
import type { z } from "zod";
import type { PathSegment } from "../issue-path.js";
import {
  ClusterSchema,
  DatasetSourceSchema,
  type DatasetSource,
  ENV_VAR_PATTERN,
  ExplicitWeightsSchema,
  type FinalMetric,
  FinalMetricSchema,
  type ClusterSettings,
  SearchSchema,
  type SearchSettings,
  TOPOLOGIES,
  type Topology,
} from "./schema.js";
import type { StartingSections } from "./starting-config.js";

export interface SketchAgent {
  id: string;
  path: PathSegment[];
  predecessors: { id: string; path: PathSegment[] }[];
  /** The serving model the agent names, if any. */
  model?: string;
}

/** A reference to a model id somewhere in the spec, and what the run uses it for. */
export interface ModelRef {
  id: string;
  path: PathSegment[];
  use: string;
}

export interface SketchModel {
  baseURL?: string;
  /** Whether the entry states apiKeyEnv at all (valid or not). */
  statesApiKeyEnv: boolean;
  /** apiKeyEnv, when it is a variable name. */
  apiKeyEnv?: string;
}

export interface SpecSketch {
  models: Map<string, SketchModel>;
  agents: SketchAgent[];
  topology?: Topology;
  final?: string;
  servingDefault?: string;
  /** Keys of `prompts`, when it is a mapping. */
  promptIds?: string[];
  modelRefs: ModelRef[];
  weights?: z.output<typeof ExplicitWeightsSchema>;
  heldOutUsedForTuning?: boolean;
  datasetSource?: DatasetSource;
  metric?: FinalMetric;
  cluster?: ClusterSettings;
  /** The search settings with their defaults, when `search` is valid (or absent). */
  search?: SearchSettings;
  /** search, misalignment and stop as written (no defaults): what departs from the starting config. */
  startingSections: StartingSections;
}

type Rec = Record<string, unknown>;

function asRecord(value: unknown): Rec | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Rec) : undefined;
}

function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function parsed<T extends z.ZodType>(schema: T, value: unknown): z.output<T> | undefined {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

function sketchAgents(graph: Rec | undefined): SketchAgent[] {
  const raw = graph?.["agents"];
  if (!Array.isArray(raw)) return [];
  const agents: SketchAgent[] = [];
  raw.forEach((entry: unknown, index) => {
    const a = asRecord(entry);
    const id = asString(a?.["id"]);
    if (a === undefined || id === undefined) return;
    const path: PathSegment[] = ["graph", "agents", index];
    const preds = Array.isArray(a["predecessors"]) ? (a["predecessors"] as unknown[]) : [];
    const agent: SketchAgent = {
      id,
      path,
      predecessors: preds.flatMap((p, k) => (typeof p === "string" ? [{ id: p, path: [...path, "predecessors", k] }] : [])),
    };
    const model = asString(a["model"]);
    if (model !== undefined) agent.model = model;
    agents.push(agent);
  });
  return agents;
}

function sketchModelRefs(raw: Rec, agents: readonly SketchAgent[], servingDefault: string | undefined): ModelRef[] {
  const refs: ModelRef[] = [];
  for (const a of agents) {
    if (a.model !== undefined) refs.push({ id: a.model, path: [...a.path, "model"], use: `serving agent "${a.id}"` });
    else if (servingDefault !== undefined) refs.push({ id: servingDefault, path: ["serving", "default"], use: `serving agent "${a.id}"` });
  }
  const evaluation = asRecord(raw["evaluation"]);
  for (const lens of ["model", "local", "lookahead", "global"] as const) {
    const id = asString(evaluation?.[lens]);
    if (id !== undefined)
      refs.push({ id, path: ["evaluation", lens], use: lens === "model" ? "evaluation (all lenses)" : `evaluation (${lens} lens)` });
  }
  const optimizer = asString(asRecord(raw["optimizer"])?.["model"]);
  if (optimizer !== undefined) refs.push({ id: optimizer, path: ["optimizer", "model"], use: "optimizer" });
  return refs;
}

export function sketchSpec(input: unknown): SpecSketch {
  const raw = asRecord(input) ?? {};
  const models = new Map<string, SketchModel>();
  for (const [id, entry] of Object.entries(asRecord(raw["models"]) ?? {})) {
    const m = asRecord(entry) ?? {};
    const model: SketchModel = { statesApiKeyEnv: m["apiKeyEnv"] !== undefined };
    const baseURL = asString(m["baseURL"]);
    const apiKeyEnv = asString(m["apiKeyEnv"]);
    if (baseURL !== undefined) model.baseURL = baseURL;
    // A value that is no variable name may be a pasted key: never carry it into a message.
    if (apiKeyEnv !== undefined && ENV_VAR_PATTERN.test(apiKeyEnv)) model.apiKeyEnv = apiKeyEnv;
    models.set(id, model);
  }
  const graph = asRecord(raw["graph"]);
  const agents = sketchAgents(graph);
  const servingDefault = asString(asRecord(raw["serving"])?.["default"]);
  const startingSections: StartingSections = {};
  for (const section of ["search", "misalignment", "stop"] as const) {
    const written = asRecord(raw[section]);
    if (written !== undefined) startingSections[section] = written;
  }
  const sketch: SpecSketch = { models, agents, modelRefs: sketchModelRefs(raw, agents, servingDefault), startingSections };

  const topology = graph?.["topology"];
  if (TOPOLOGIES.some((t) => t === topology)) sketch.topology = topology as Topology;
  const final = asString(graph?.["final"]);
  if (final !== undefined) sketch.final = final;
  if (servingDefault !== undefined) sketch.servingDefault = servingDefault;
  const prompts = asRecord(raw["prompts"]);
  if (prompts !== undefined) sketch.promptIds = Object.keys(prompts);

  const weights = parsed(ExplicitWeightsSchema, raw["weights"]);
  if (weights !== undefined) sketch.weights = weights;
  const dataset = asRecord(raw["dataset"]);
  if (typeof dataset?.["heldOutUsedForTuning"] === "boolean") sketch.heldOutUsedForTuning = dataset["heldOutUsedForTuning"];
  const source = parsed(DatasetSourceSchema, dataset?.["source"]);
  if (source !== undefined) sketch.datasetSource = source;
  const metric = parsed(FinalMetricSchema, asRecord(raw["task"])?.["metric"]);
  if (metric !== undefined) sketch.metric = metric;
  const cluster = parsed(ClusterSchema, raw["cluster"]);
  if (cluster !== undefined) sketch.cluster = cluster;
  const search = parsed(SearchSchema, raw["search"]);
  if (search !== undefined) sketch.search = search;
  return sketch;
}

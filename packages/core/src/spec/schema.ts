/**
 * The run spec: everything the MASPO method needs stated before a run may start (shared/maspo.md,
 * "Inputs"). Defaults here are exactly the method's documented defaults; a field the method says
 * must be stated has none. Every object is strict, so a mistyped key is an error, not a silent
 * default. Cross-field rules (graph shape, references, leaks, env vars) live in the checks beside
 * this file, because they need the whole document.
 */
import { z } from "zod";
import type { JointWeights } from "../protocol/lenses.js";
import { DURATION_PATTERN } from "./duration.js";

/** Agent and model ids appear in prompts, paths and subjects: keep them plain. */
export const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const ENV_VAR_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const id = (what: string) => z.string().regex(ID_PATTERN, { error: `${what}: letters, digits, "_" or "-", starting with a letter or "_"` });
const agentId = id("an agent id");
const modelId = id("a model id (a key of models)");
const text = z.string().trim().min(1);
const fraction = z.number().min(0).max(1);

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
const extractRegex = z
  .string()
  .min(1)
  .refine(isValidRegex, { error: "a valid JavaScript regular expression" })
  .meta({ description: "Regex applied to the final output; the first capture group (or the whole match) is scored." });

// ---------------------------------------------------------------- models

export const ModelEntrySchema = z
  .strictObject({
    baseURL: z
      .string()
      .regex(/^(https?:\/\/\S+|simlm:\/\/[A-Za-z0-9_./-]+)$/, {
        error: 'an http(s):// URL of an OpenAI-compatible API, or "simlm://<world>" for the simulated LLM',
      })
      .meta({ description: "OpenAI-compatible base URL, or simlm://<world> for the in-process simulated LLM." }),
    model: text.meta({ description: "Model name sent to the endpoint." }),
    apiKeyEnv: z
      .string()
      .regex(ENV_VAR_PATTERN, { error: "the NAME of an environment variable holding the key (never the key itself)" })
      .optional()
      .meta({ description: "Name of the environment variable that holds the API key. Required for http(s) endpoints not on localhost." }),
    price: z
      .strictObject({
        inputPerMTok: z.number().min(0),
        outputPerMTok: z.number().min(0),
      })
      .meta({ description: "USD per million input and output tokens, for cost accounting." }),
    concurrency: z.int().min(1).default(8).meta({ description: "Requests in flight to this endpoint at most." }),
    timeoutMs: z.int().min(1).default(60_000),
    maxRetries: z.int().min(0).default(5),
  })
  .meta({ description: "An LLM endpoint, declared once and referenced by its id." });
export type ModelEntry = z.output<typeof ModelEntrySchema>;

// ---------------------------------------------------------------- task and metric

export const FinalMetricSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({
      kind: z.literal("exact_match"),
      extract: extractRegex.optional(),
      caseSensitive: z.boolean().default(false),
    }),
    z.strictObject({
      kind: z.literal("numeric"),
      extract: extractRegex.optional(),
      tolerance: z.number().min(0).default(1e-9),
    }),
    z.strictObject({ kind: z.literal("contains") }),
    z.strictObject({ kind: z.literal("world") }),
    z.strictObject({ kind: z.literal("judge") }),
  ])
  .meta({ description: "The final success metric. world: the simlm world's own metric; judge: no labels needed." });
export type FinalMetric = z.output<typeof FinalMetricSchema>;
/** The metrics scored against an example's label by `scoreFinalOutput`. */
export type LabelMetric = Extract<FinalMetric, { kind: "exact_match" | "numeric" | "contains" }>;

export const TaskSchema = z.strictObject({
  name: text,
  input: z.strictObject({ description: text.meta({ description: "What one task input looks like." }) }),
  output: z.strictObject({ description: text.meta({ description: "What the final answer looks like." }) }),
  metric: FinalMetricSchema,
});

// ---------------------------------------------------------------- agent graph and prompts

export const TOPOLOGIES = ["sequential", "hierarchical", "dag"] as const;
export type Topology = (typeof TOPOLOGIES)[number];

export const AgentSpecSchema = z.strictObject({
  id: agentId,
  role: text.meta({ description: "The agent's role in a few words, e.g. 'planner'." }),
  predecessors: z.array(agentId).default([]).meta({ description: "Agents whose outputs this agent sees, in the order shown to it." }),
  model: modelId.optional().meta({ description: "Serving model id; serving.default when absent." }),
});
export type AgentSpec = z.output<typeof AgentSpecSchema>;

export const GraphSchema = z.strictObject({
  topology: z.enum(TOPOLOGIES),
  final: agentId.meta({ description: "The agent whose output is the system's final answer." }),
  agents: z.array(AgentSpecSchema).min(1),
});
export type GraphSpec = z.output<typeof GraphSchema>;

export const PromptSpecSchema = z.union([
  text.meta({ description: "The full prompt text." }),
  z.strictObject({
    role: text,
    instructions: text,
    outputFormat: text.optional(),
    constraints: z.array(text).optional(),
  }),
]);
export type PromptSpec = z.output<typeof PromptSpecSchema>;

// ---------------------------------------------------------------- dataset

const exampleId = z.union([z.string().trim().min(1), z.int()]).transform(String);

export const ExampleInputSchema = z.strictObject({
  id: exampleId,
  input: text,
  label: z
    .union([z.string(), z.number()])
    .transform(String)
    .optional()
    .meta({ description: "Ground truth for the final metric; absent for judge-only tasks." }),
});

export const DatasetSourceSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("inline"),
    train: z.array(ExampleInputSchema).min(1),
    heldOut: z.array(ExampleInputSchema).min(1),
  }),
  z.strictObject({
    kind: z.literal("jsonl"),
    train: text.meta({ description: "JSONL file of {id, input, label?}, relative to the spec file." }),
    heldOut: text.meta({ description: "JSONL file of {id, input, label?}, relative to the spec file." }),
  }),
  z.strictObject({
    kind: z.literal("simlm"),
    world: text.meta({ description: "A bundled simlm world name, or a path to a world file." }),
    train: z.int().min(1).optional(),
    heldOut: z.int().min(1).optional(),
  }),
]);
export type DatasetSource = z.output<typeof DatasetSourceSchema>;

export const DatasetSchema = z.strictObject({
  source: DatasetSourceSchema,
  heldOutUsedForTuning: z.boolean().meta({
    description: "Was the held-out split ever used to tune anything? Must be stated; true refuses the run.",
  }),
});

// ---------------------------------------------------------------- models per role

export const LENSES = ["local", "lookahead", "global"] as const;
export type Lens = (typeof LENSES)[number];

export const EvaluationSettingsSchema = z
  .union([z.strictObject({ model: modelId }), z.strictObject({ local: modelId, lookahead: modelId, global: modelId })])
  .meta({ description: "The judge model: one for all three lenses, or one per lens." });
export type EvaluationSpec = z.output<typeof EvaluationSettingsSchema>;

export const OptimizerSchema = z.strictObject({
  model: modelId,
  temperature: z.number().min(0).max(2).default(0.7),
});

export const ServingSchema = z.strictObject({
  default: modelId.optional().meta({ description: "Serving model for agents that name none." }),
});

// ---------------------------------------------------------------- search

export const MUTATION_OPERATORS = ["rephrase", "add_constraint", "add_one_shot", "add_negative", "reorder_steps"] as const;
export type MutationOperator = (typeof MUTATION_OPERATORS)[number];

export const SearchSchema = z
  .strictObject({
    beamSize: z.int().min(1).default(5).meta({ description: "K: beam candidates kept per agent." }),
    rounds: z.int().min(1).default(10).meta({ description: "T: rounds." }),
    epochs: z.int().min(1).default(3).meta({ description: "E: epochs." }),
    operators: z
      .array(z.enum(MUTATION_OPERATORS))
      .min(1)
      .refine((ops) => new Set(ops).size === ops.length, { error: "each mutation operator at most once" })
      .default([...MUTATION_OPERATORS]),
    childrenPerParent: z.int().min(1).default(2),
    minibatchSize: z.int().min(1).default(10),
    stepsPerAgent: z.int().min(1).default(1),
    trainPool: z.int().min(1).optional().meta({
      description: "Optimize on a seeded sample of this many train examples (the paper used 50); default: the whole train split.",
    }),
  })
  .prefault({});
export type SearchSettings = z.output<typeof SearchSchema>;

export const MisalignmentSchema = z
  .strictObject({
    bufferBudget: z.int().min(0).default(50).meta({ description: "Misalignment cases kept per agent." }),
    casesPerStep: z.int().min(0).default(3),
  })
  .prefault({});

// ---------------------------------------------------------------- joint reward weights

/** The spec's weights setting: the joint reward's weights, and why they differ from the defaults. */
export interface WeightsSetting extends JointWeights {
  /** Why the defaults were overridden; absent when they were not. */
  reason?: string;
  preset?: "paper";
}

export const DEFAULT_WEIGHTS: WeightsSetting = { local: 0.25, lookahead: 0.35, global: 0.4 };
export const PAPER_WEIGHTS: WeightsSetting = {
  local: 0.4,
  lookahead: 0.4,
  global: 0.2,
  reason: "preset paper: the best setting of the MASPO paper's weight sweep (0.4/0.4/0.2)",
  preset: "paper",
};

export const ExplicitWeightsSchema = z.strictObject({
  local: fraction,
  lookahead: fraction,
  global: fraction,
  reason: z.string().optional().meta({ description: "Required when the weights differ from 0.25/0.35/0.40." }),
});

export const WeightsSchema = z
  .union([z.strictObject({ preset: z.literal("paper") }), ExplicitWeightsSchema])
  .transform((w): WeightsSetting => {
    if ("preset" in w) return { ...PAPER_WEIGHTS };
    const out: WeightsSetting = { local: w.local, lookahead: w.lookahead, global: w.global };
    if (w.reason !== undefined && w.reason.trim() !== "") out.reason = w.reason.trim();
    return out;
  })
  .default({ ...DEFAULT_WEIGHTS })
  .meta({ description: "Joint reward weights; must sum to 1, and any override needs a reason." });

// ---------------------------------------------------------------- guards, stop, run settings

const floor = fraction.nullable();

export const GuardsSchema = z
  .strictObject({
    finalMetricFloor: floor.meta({ description: "Refuse a prompt set whose final metric drops below this; null: none." }),
    localValidityFloor: floor.meta({ description: "Per-agent local validity floor; null: none." }),
    tokensPerRoundMax: z.int().min(1).nullable().meta({ description: "Token budget per round; null: none." }),
  })
  .meta({ description: "Guard floors. Each must be stated: a number, or null for explicitly none." });

export const StopSchema = z.strictObject({
  targetMetric: fraction.nullable().optional(),
  patience: z.int().min(1).default(3).meta({ description: "Rounds without global improvement before stopping." }),
  deadline: z
    .string()
    .regex(DURATION_PATTERN, { error: 'a duration like "90s", "30m", "2h" or "1h30m"' })
    .meta({ description: 'Wall-clock limit, e.g. "30m", "2h".' }),
  budgetUsd: z.number().positive().nullable().optional(),
});

export const ConcurrencySchema = z.strictObject({ maxInFlight: z.int().min(1).default(64) }).prefault({});

export const ClusterSchema = z
  .strictObject({
    ackWaitMs: z.int().min(1).default(30_000),
    maxDeliver: z.int().min(1).default(5),
    maxAckPending: z.int().min(1).default(256),
    backoffMs: z.array(z.int().min(1)).default([1_000, 5_000, 15_000]),
  })
  .prefault({})
  .meta({ description: "JetStream consumer settings for cluster mode." });
export type ClusterSettings = z.output<typeof ClusterSchema>;

// ---------------------------------------------------------------- the run spec

export const RunSpecSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: "JSON Schema reference for editors; ignored by maspo." }),
    name: text.optional(),
    description: z.string().optional(),
    task: TaskSchema,
    models: z.record(modelId, ModelEntrySchema).meta({ description: "LLM endpoints by id." }),
    graph: GraphSchema,
    prompts: z
      .record(agentId, PromptSpecSchema)
      .meta({ description: "The initial prompt of every agent: text, or {role, instructions, outputFormat?, constraints?}." }),
    serving: ServingSchema.optional(),
    dataset: DatasetSchema,
    evaluation: EvaluationSettingsSchema,
    optimizer: OptimizerSchema,
    search: SearchSchema,
    misalignment: MisalignmentSchema,
    weights: WeightsSchema,
    guards: GuardsSchema,
    stop: StopSchema,
    seed: z.int().min(0).default(0),
    concurrency: ConcurrencySchema,
    cluster: ClusterSchema,
  })
  .meta({
    title: "maspo run spec",
    description: "A MASPO run: the task, the agent graph and its initial prompts, the dataset, the models, and the search settings.",
  });

export type RunSpec = z.output<typeof RunSpecSchema>;
export type RunSpecInput = z.input<typeof RunSpecSchema>;

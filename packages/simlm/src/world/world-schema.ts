/**
 * The world file format (YAML), as zod schemas. `World` is what loadWorld returns after these shapes
 * and the cross-references between them (world-check.ts) have been validated; the README beside this
 * package documents every field.
 */
import { z } from "zod";

const Id = z.string().regex(/^[a-z][a-z0-9_]*$/, "a lower-case identifier (letters, digits, _)");
const Probability = z.number().min(0).max(1);

const IntRangeVar = z.strictObject({ min: z.int(), max: z.int() });
const ChoiceVar = z.strictObject({ choices: z.array(z.string().min(1)).min(1) });

export const ProblemTemplateSchema = z.strictObject({
  id: Id,
  /** Latent difficulty: each unit lowers every agent's success logit by its difficultyWeight. */
  difficulty: z.number().min(0),
  /** Relative frequency in generated data. */
  weight: z.number().positive().default(1),
  vars: z.record(Id, z.union([IntRangeVar, ChoiceVar])),
  /** The task text; `{var}` slots only, each var at least once, so the problem can be read back from text. */
  text: z.string().min(1),
  /** The ground-truth final answer, an expression over vars. */
  answer: z.string().min(1),
  /** Named texts agents' outputs are made of (`{expression}` slots); a wrong agent renders them from corrupted vars. */
  facts: z.record(Id, z.string()),
});

export const DataSchema = z.strictObject({
  seed: z.int(),
  train: z.int().min(1),
  heldOut: z.int().min(1),
  templates: z.array(ProblemTemplateSchema).min(1),
});

export const FeatureSchema = z.strictObject({
  /** How the feature reads in an output; `{fact}` or `{value}` slots. Its literal start is its marker. */
  text: z.string().min(1),
  /** How much the judge likes seeing it (negative: dislikes). */
  judge: z.number().default(0),
  describe: z.string().default(""),
});

export const DirectiveSchema = z.strictObject({
  id: Id,
  summary: z.string().min(1),
  /** Paraphrases by which a prompt sentence is recognised as this directive (matched loosely). */
  triggers: z.array(z.string().min(3)).min(2),
  /** Added to the agent's success logit. */
  skill: z.number().default(0),
  /** Added to the probability of recovering from a wrong upstream output. */
  recover: z.number().default(0),
  adds: z.array(Id).default([]),
  removes: z.array(Id).default([]),
  /** Looks good to a local judge while it starves or misleads successors (documentation and harmful edits). */
  trap: z.boolean().default(false),
});

export const InputRuleSchema = z.strictObject({
  /** A feature of any predecessor's output. */
  feature: Id,
  /** When set, the rule applies only while this agent's prompt has that directive (an interacting pair). */
  directive: Id.optional(),
  present: z.number().default(0),
  absent: z.number().default(0),
});

export const FailureSchema = z.strictObject({
  id: Id,
  describe: z.string().min(1),
  /** Seen in a failing trace: every listed condition must hold. */
  when: z.strictObject({
    has: z.array(Id).default([]),
    missing: z.array(Id).default([]),
    contextHas: z.array(Id).default([]),
    contextMissing: z.array(Id).default([]),
    wrong: z.boolean().optional(),
  }),
  fix: z.union([z.strictObject({ add: Id }), z.strictObject({ remove: Id })]),
});

export const PromptPartsSchema = z.strictObject({
  role: z.string().min(1),
  instructions: z.string().min(1),
  outputFormat: z.string().optional(),
  constraints: z.array(z.string()).default([]),
});

export const AgentSchema = z.strictObject({
  id: Id,
  role: z.string().min(1),
  predecessors: z.array(Id).default([]),
  /** Phrases that tell a system prompt is this agent's (the earliest match in a prompt wins). */
  recognize: z.array(z.string().min(3)).min(1),
  prompt: PromptPartsSchema,
  emits: z.array(Id).min(1),
  skill: z.number(),
  difficultyWeight: z.number().min(0).default(0),
  recover: Probability.default(0),
  inputs: z.array(InputRuleSchema).default([]),
  directives: z.array(DirectiveSchema).min(1),
  failures: z.array(FailureSchema).default([]),
});

export const LensSchema = z.strictObject({
  /** Score a response loses when the judge notices it is wrong. */
  correctness: z.number().min(0),
  /** Chance the judge notices a wrong response. */
  detect: Probability,
  /** Multiplier on features' judge weights under this lens. */
  surface: z.number().min(0).default(1),
});

export const JudgeSchema = z.strictObject({
  /** Added to Response A's score: maspo must cancel it by asking both orders. */
  positionBias: z.number(),
  /** Standard deviation of seeded noise on the score difference. */
  noise: z.number().min(0),
  tieMargin: z.number().min(0),
  malformedRate: Probability,
  lenses: z.strictObject({ local: LensSchema, lookahead: LensSchema, global: LensSchema }),
});

export const OptimizerSchema = z.strictObject({
  /** Chance a proposal fixes a failure shown in the meta-prompt (when it shows one). */
  grounding: Probability,
  malformedRate: Probability,
  /** Relative weights of what an ungrounded proposal does. */
  ungrounded: z.strictObject({
    paraphrase: z.number().min(0),
    randomDirective: z.number().min(0),
    harmful: z.number().min(0),
  }),
});

export const MetricSchema = z.strictObject({
  /** A regular expression whose first group, read from the final agent's output, must equal the label. */
  extract: z.string().min(1),
  describe: z.string().min(1),
});

export const WorldSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, "a lower-case name (letters, digits, -)"),
  description: z.string().min(1),
  data: DataSchema,
  features: z.record(Id, FeatureSchema),
  agents: z.array(AgentSchema).min(1),
  /** The agent whose output is the system's final answer. */
  final: Id,
  metric: MetricSchema,
  judge: JudgeSchema,
  optimizer: OptimizerSchema,
  /** Service realism (latency, faults) for serving this world; its format is the serving layer's (serve/service-realism.ts). */
  service: z.unknown().optional(),
});

export type World = z.infer<typeof WorldSchema>;
export type WorldAgent = World["agents"][number];
export type Directive = WorldAgent["directives"][number];
export type FailureSignature = WorldAgent["failures"][number];
export type ProblemTemplate = World["data"]["templates"][number];
export type Feature = z.infer<typeof FeatureSchema>;
export type JudgeLens = keyof World["judge"]["lenses"];

/**
 * The method's default starting config, kept unless a spec says why (shared/maspo.md: "Defaults where
 * the user does not override (with a stated reason)"): K, T, E, the operators, the misalignment
 * buffer budget and the patience. A section that departs from one must state its `reason`; validation
 * refuses the spec otherwise, naming every such field at once, and the report quotes each reason.
 */
import type { Issue } from "../errors.js";
import { MUTATION_OPERATORS, type RunSpec, SPEC_LIMITS, STARTING_DEFAULTS } from "./schema.js";

/** One setting of the starting config: where it lives, what the method calls it, and its default. */
export interface StartingSetting {
  section: "search" | "misalignment" | "stop";
  key: "beamSize" | "rounds" | "epochs" | "operators" | "bufferBudget" | "patience";
  /** The method's name for it. */
  name: string;
}

export const STARTING_SETTINGS: readonly StartingSetting[] = [
  { section: "search", key: "beamSize", name: "K (beam size)" },
  { section: "search", key: "rounds", name: "T (rounds)" },
  { section: "search", key: "epochs", name: "E (epochs)" },
  { section: "search", key: "operators", name: "the mutation operators" },
  { section: "misalignment", key: "bufferBudget", name: "the misalignment buffer budget" },
  { section: "stop", key: "patience", name: "the patience" },
];

/** A departure from the starting config, with the reason the spec gives for it. */
export interface StartingOverride {
  /** The field's path, e.g. "search.beamSize". */
  setting: string;
  name: string;
  value: unknown;
  default: unknown;
  /** The section's reason; absent only in a spec that did not pass validation. */
  reason?: string;
}

/** The sections' settings as read from a (possibly partial) spec: whatever of each is readable. */
export type StartingSections = Partial<Record<StartingSetting["section"], Record<string, unknown> | undefined>>;

function same(value: unknown, fallback: unknown): boolean {
  if (Array.isArray(value) && Array.isArray(fallback)) {
    // The operators are a set: the same five in another order are the default.
    return value.length === fallback.length && fallback.every((x) => value.includes(x));
  }
  return value === fallback;
}

/** The schema's range of each setting (schema.ts): only a value inside it can be an override. */
const RANGES: Record<Exclude<StartingSetting["key"], "operators">, [number, number]> = {
  beamSize: [1, SPEC_LIMITS.beamSize],
  rounds: [1, SPEC_LIMITS.rounds],
  epochs: [1, SPEC_LIMITS.epochs],
  bufferBudget: [0, SPEC_LIMITS.bufferBudget],
  patience: [1, SPEC_LIMITS.patience],
};

function admissible(key: StartingSetting["key"], value: unknown): boolean {
  if (key === "operators") {
    return (
      Array.isArray(value) &&
      value.length > 0 &&
      new Set(value).size === value.length &&
      value.every((op) => (MUTATION_OPERATORS as readonly unknown[]).includes(op))
    );
  }
  const [min, max] = RANGES[key];
  return Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
}

const describe = (v: unknown) => (Array.isArray(v) ? `[${v.join(", ")}]` : String(v));

/** Each setting the sections set to something other than the method's default, with its section's reason. */
export function startingOverridesOf(sections: StartingSections): StartingOverride[] {
  return STARTING_SETTINGS.flatMap((s) => {
    const section = sections[s.section];
    const value = section?.[s.key];
    const fallback = s.key === "operators" ? [...MUTATION_OPERATORS] : STARTING_DEFAULTS[s.key];
    // A value the schema refuses is the schema's problem to name, not an override.
    if (!admissible(s.key, value) || same(value, fallback)) return [];
    const reason = section?.["reason"];
    return [
      {
        setting: `${s.section}.${s.key}`,
        name: s.name,
        value,
        default: fallback,
        ...(typeof reason === "string" && reason.trim() !== "" ? { reason: reason.trim() } : {}),
      },
    ];
  });
}

/** The validated spec's departures from the starting config, each with its reason: what the report quotes. */
export function startingConfigOverrides(spec: RunSpec): StartingOverride[] {
  return startingOverridesOf({ search: spec.search, misalignment: spec.misalignment, stop: spec.stop });
}

/** Validation: every departure without its section's reason, as one issue each. */
export function checkStartingConfig(sections: StartingSections): Issue[] {
  return startingOverridesOf(sections)
    .filter((o) => o.reason === undefined)
    .map((o) => {
      const section = o.setting.split(".")[0] as string;
      return {
        path: o.setting,
        expected: `${section}.reason saying why ${o.name} differs from the method's default ${describe(o.default)}`,
        found: `${describe(o.value)} and no ${section}.reason`,
        hint: `the method's starting config is overridden only with a stated reason, which the report quotes: add ${section}.reason, or drop ${o.setting}`,
      };
    });
}

/**
 * Checks that the dataset can honestly measure a result: the held-out split was never used for
 * tuning, no held-out example also sits in train (same id or same input), ids are unique, held-out
 * examples carry the labels the final metric scores against, and a world metric comes with a simlm world.
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { Issue } from "../errors.js";
import { type DatasetRead, type LocatedExample, readDataset } from "./dataset.js";
import { SPEC_LIMITS } from "./schema.js";
import type { SpecSketch } from "./spec-sketch.js";

/** Inputs compared for overlap: case, spacing and surrounding whitespace do not make a new example. */
export function normalizeInput(input: string): string {
  return input.toLowerCase().replace(/\s+/g, " ").trim();
}

function leakIssues(sketch: SpecSketch): Issue[] {
  if (sketch.heldOutUsedForTuning !== true) return [];
  return [
    {
      path: "dataset.heldOutUsedForTuning",
      expected: "false: maspo reports its result on a held-out split that was never used for tuning",
      found: "true: a score on a split that was used for tuning measures nothing; that is a leak, not a result",
      hint: "hold out examples that nothing was tuned on, and set heldOutUsedForTuning: false",
    },
  ];
}

function duplicateIdIssues(split: string, examples: readonly LocatedExample[]): Issue[] {
  const first = new Map<string, string>();
  const issues: Issue[] = [];
  for (const { example, where } of examples) {
    const earlier = first.get(example.id);
    if (earlier !== undefined) {
      issues.push({
        path: where,
        expected: `a unique example id within the ${split} split`,
        found: `id "${example.id}" again (first at ${earlier})`,
      });
    } else first.set(example.id, where);
  }
  return issues;
}

function overlapIssues(train: readonly LocatedExample[], heldOut: readonly LocatedExample[]): Issue[] {
  const trainIds = new Map<string, string>();
  const trainInputs = new Map<string, string>();
  for (const { example, where } of train) {
    if (!trainIds.has(example.id)) trainIds.set(example.id, where);
    const key = normalizeInput(example.input);
    if (!trainInputs.has(key)) trainInputs.set(key, where);
  }
  const issues: Issue[] = [];
  for (const { example, where } of heldOut) {
    const sameId = trainIds.get(example.id);
    const sameInput = trainInputs.get(normalizeInput(example.input));
    const found = [
      sameId !== undefined ? `the same id "${example.id}" as ${sameId}` : "",
      sameInput !== undefined ? `the same input as ${sameInput}` : "",
    ]
      .filter((s) => s !== "")
      .join(", and ");
    if (found !== "") {
      issues.push({
        path: where,
        expected: "a held-out example that is not in the train split (train/held-out overlap is a leak, not a result)",
        found,
      });
    }
  }
  return issues;
}

function labelIssues(sketch: SpecSketch, split: string, examples: readonly LocatedExample[], at: string): Issue[] {
  const kind = sketch.metric?.kind;
  if (kind !== "exact_match" && kind !== "numeric" && kind !== "contains") return [];
  const unlabelled = examples.filter((e) => e.example.label === undefined).map((e) => e.where);
  if (unlabelled.length === 0) return [];
  const shown = unlabelled.slice(0, 5).join(", ") + (unlabelled.length > 5 ? `, and ${unlabelled.length - 5} more` : "");
  return [
    {
      path: at,
      expected: `a label on every ${split} example: task.metric "${kind}" scores the final answer against it`,
      found: `${unlabelled.length} example${unlabelled.length === 1 ? "" : "s"} without a label: ${shown}`,
      hint: 'or use task.metric: { kind: "judge" } for an unlabelled task',
    },
  ];
}

function sourceKindIssues(sketch: SpecSketch, baseDir: string): Issue[] {
  const source = sketch.datasetSource;
  if (source === undefined) return [];
  const issues: Issue[] = [];
  if (sketch.metric?.kind === "world" && source.kind !== "simlm") {
    issues.push({
      path: "task.metric.kind",
      expected: `"world" only with a simlm dataset (dataset.source.kind: simlm), whose world defines the metric`,
      found: `"world" with a ${source.kind} dataset`,
    });
  }
  if (source.kind === "simlm" && /[\\/]|\.ya?ml$/i.test(source.world)) {
    const file = isAbsolute(source.world) ? source.world : resolve(baseDir, source.world);
    if (!existsSync(file)) {
      issues.push({
        path: "dataset.source.world",
        expected: "a bundled world name, or the path of an existing world file (relative to the spec file)",
        found: `no file at ${file}`,
      });
    }
  }
  return issues;
}

/** A file's split is bounded like an inline one (SPEC_LIMITS.examples): each example is held in memory and run through the graph. */
export function splitSizeIssues(read: DatasetRead, at: (split: "train" | "heldOut") => string): Issue[] {
  return (["train", "heldOut"] as const).flatMap((split) =>
    read[split].length > SPEC_LIMITS.examples
      ? [
          {
            path: at(split),
            expected: `at most ${SPEC_LIMITS.examples} examples in the ${split === "train" ? "train" : "held-out"} split`,
            found: `${read[split].length} examples`,
          },
        ]
      : [],
  );
}

export async function checkDataset(sketch: SpecSketch, baseDir: string): Promise<Issue[]> {
  const issues = [...leakIssues(sketch), ...sourceKindIssues(sketch, baseDir)];
  const source = sketch.datasetSource;
  if (source === undefined || source.kind === "simlm") return issues;
  const read = await readDataset(source, baseDir);
  const splitPath = (split: "train" | "heldOut") => (source.kind === "jsonl" ? source[split] : `dataset.source.${split}`);
  issues.push(
    ...read.issues,
    ...duplicateIdIssues("train", read.train),
    ...duplicateIdIssues("held-out", read.heldOut),
    ...overlapIssues(read.train, read.heldOut),
    // Only the held-out split must be labelled: on train, the global lens falls back to the judge.
    ...labelIssues(sketch, "held-out", read.heldOut, splitPath("heldOut")),
  );
  issues.push(...splitSizeIssues(read, splitPath));
  return issues;
}

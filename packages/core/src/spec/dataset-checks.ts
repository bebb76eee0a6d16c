/**
 * Checks that the dataset can honestly measure a result: the held-out split was never used for
 * tuning, no held-out example also sits in train (same id or same input), ids are unique, held-out
 * examples carry the labels the final metric scores against, and a world metric comes with a simlm world.
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { Issue } from "../errors.js";
import { type DatasetRead, type LocatedExample, readDataset } from "./dataset.js";
import { choiceOf } from "./multiple-choice.js";
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

/** Where a list of places is shown: the first five, and how many more. */
function listed(wheres: readonly string[]): string {
  return wheres.slice(0, 5).join(", ") + (wheres.length > 5 ? `, and ${wheres.length - 5} more` : "");
}

function labelIssues(sketch: SpecSketch, split: string, examples: readonly LocatedExample[], at: string): Issue[] {
  const metric = sketch.metric;
  const kind = metric?.kind;
  if (kind !== "exact_match" && kind !== "numeric" && kind !== "contains" && kind !== "multiple_choice") return [];
  const unlabelled = examples.filter((e) => e.example.label === undefined).map((e) => e.where);
  if (metric?.kind === "multiple_choice") {
    const notALetter = examples.filter((e) => e.example.label !== undefined && choiceOf(e.example.label, metric.choices) === undefined);
    if (notALetter.length > 0 && unlabelled.length === 0) {
      return [
        {
          path: at,
          expected: `a label on every ${split} example that names one of the options ${[...metric.choices].join(", ")} (task.metric.choices)`,
          found: `${notALetter.length} label${notALetter.length === 1 ? "" : "s"} naming none: ${listed(notALetter.map((e) => `${e.where} ("${e.example.label ?? ""}")`))}`,
        },
      ];
    }
  }
  if (unlabelled.length === 0) return [];
  const shown = listed(unlabelled);
  return [
    {
      path: at,
      expected: `a label on every ${split} example: task.metric "${kind}" scores the final answer against it`,
      found: `${unlabelled.length} example${unlabelled.length === 1 ? "" : "s"} without a label: ${shown}`,
      hint: 'or use task.metric: { kind: "judge" } for an unlabelled task',
    },
  ];
}

/** A code_tests metric reads each example's tests from a field: every held-out example must carry them. */
function testsFieldIssues(sketch: SpecSketch, split: string, examples: readonly LocatedExample[], at: string): Issue[] {
  const metric = sketch.metric;
  if (metric?.kind !== "code_tests") return [];
  const missing: string[] = [];
  const malformed: string[] = [];
  for (const { example, where } of examples) {
    const tests = example.fields?.[metric.tests];
    if (tests === undefined || tests === null || tests === "") missing.push(where);
    else if (!isTestList(tests)) malformed.push(where);
  }
  const issues: Issue[] = [];
  if (missing.length > 0) {
    issues.push({
      path: at,
      expected: `unit tests on every ${split} example, in the field "${metric.tests}" (task.metric.tests): the code_tests metric runs them`,
      found: `${missing.length} example${missing.length === 1 ? "" : "s"} without it: ${listed(missing)}`,
      hint: "name the tests column in task.metric.tests, and map the other columns with dataset.source.fields",
    });
  }
  if (malformed.length > 0) {
    issues.push({
      path: at,
      expected: `tests in "${metric.tests}" as a list of strings (one test each) or one string (a test program)`,
      found: `another value in ${listed(malformed)}`,
    });
  }
  return issues;
}

/** A test list as the code_tests metric takes it: a string, or a list of strings. */
function isTestList(value: unknown): boolean {
  return typeof value === "string" || (Array.isArray(value) && value.length > 0 && value.every((t) => typeof t === "string"));
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
  const splitPath = (split: "train" | "heldOut") =>
    source.kind === "inline" ? `dataset.source.${split}` : (source[split] ?? source.file ?? `dataset.source.${split}`);
  // One file split by ratio: an id twice in the file is a duplicate wherever its records landed.
  const duplicates = read.split
    ? duplicateIdIssues(
        "file",
        [...read.train, ...read.heldOut].sort((a, b) => a.where.localeCompare(b.where, "en", { numeric: true })),
      )
    : [...duplicateIdIssues("train", read.train), ...duplicateIdIssues("held-out", read.heldOut)];
  issues.push(
    ...read.issues,
    ...duplicates,
    ...(read.split && duplicates.length > 0 ? [] : overlapIssues(read.train, read.heldOut)),
    // Only the held-out split must be labelled: on train, the global lens falls back to the judge.
    ...labelIssues(sketch, "held-out", read.heldOut, splitPath("heldOut")),
    ...testsFieldIssues(sketch, "held-out", read.heldOut, splitPath("heldOut")),
  );
  issues.push(...splitSizeIssues(read, splitPath));
  return issues;
}

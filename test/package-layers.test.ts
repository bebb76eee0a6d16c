/**
 * The house's structure, checked: each package's package.json declares exactly the dependencies the
 * layering table allows (eslint.layers.js; the lint rule stops an import outside it), the coordinator
 * stands on core alone, and each concept of the worker protocol's vocabulary is declared once.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- a plain JS module of the lint config, without type declarations
import { LAYERS } from "../eslint.layers.js";
import { ROOT } from "./fixtures/maspo-processes.js";

const layers = LAYERS as Record<string, string[]>;
const packages = readdirSync(join(ROOT, "packages")).filter((p) => statSync(join(ROOT, "packages", p)).isDirectory());

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [join(dir, e.name)] : [],
  );
}

describe("package layering", () => {
  it("has a layer for every package, and nothing else", () => {
    expect(Object.keys(layers).sort()).toEqual([...packages].sort());
  });

  it.each(packages)("packages/%s declares exactly the dependencies its layer allows", (pkg) => {
    const json = JSON.parse(readFileSync(join(ROOT, "packages", pkg, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    const declared = Object.keys(json.dependencies ?? {}).sort();
    const allowed = [...(layers[pkg] ?? [])].sort();
    expect(declared).toEqual(allowed);
  });

  it("lets the coordinator depend on core alone: no executor, evaluator, mutator, bus or LLM client", () => {
    expect(layers.coordinator?.filter((d) => d.startsWith("@maspo/"))).toEqual(["@maspo/core"]);
  });
});

/** Concepts the structure issue found declared twice; each must have exactly one declaration now. */
const ONE_VOCABULARY = [
  "Evaluation",
  "Proposal",
  "Lineage",
  "LensScores",
  "Ablations",
  "JointWeights",
  "Example",
  "CheckpointStore",
  "UsageTotals",
  "WorkerContext",
  "MisalignmentCase",
  "Trace",
];

describe("one vocabulary", () => {
  const files = packages.flatMap((p) => sourceFiles(join(ROOT, "packages", p, "src")));
  const texts = files.map((f) => ({ file: f.slice(ROOT.length + 1), text: readFileSync(f, "utf8") }));

  it.each(ONE_VOCABULARY)("declares %s once in the whole workspace", (name) => {
    const declaration = new RegExp(
      `^export (?:interface|type|class) ${name}\\b|^export const ${name}Schema\\b|^(?:interface|type|class) ${name}\\b`,
      "m",
    );
    const where = texts.filter((t) => declaration.test(t.text)).map((t) => t.file);
    // A schema and its inferred type live in one file: that is one declaration.
    expect(where, `${name} is declared in ${where.join(", ")}`).toHaveLength(1);
  });

  it("normalises a prompt for de-duplication in one function", () => {
    const where = texts.filter((t) => /function normali[sz]ePrompt\b/.test(t.text)).map((t) => t.file);
    expect(where).toEqual(["packages/core/src/prompt-version.ts"]);
  });
});

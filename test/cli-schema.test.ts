// The committed JSON Schemas (maspo.schema.json, maspo-sweep.schema.json) are what `maspo schema`
// (and `--sweep`) print, and they check spec and sweep files the way an editor would: every example
// passes, broken ones fail.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runSpecSchemaText, sweepSchemaText } from "@maspo/cli";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const EXAMPLES = join(REPO, "examples");
const yamlFiles = readdirSync(EXAMPLES)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
// A sweep file says so in its name; every other example is a run spec.
const exampleFiles = yamlFiles.filter((f) => !/sweep/.test(f));
const sweepFiles = yamlFiles.filter((f) => /sweep/.test(f));

// strict: a schema keyword ajv does not know is an error, so the file stays clean for every editor.
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(JSON.parse(readFileSync(join(REPO, "maspo.schema.json"), "utf8")) as object);
const validateSweep = ajv.compile(JSON.parse(readFileSync(join(REPO, "maspo-sweep.schema.json"), "utf8")) as object);

function example(name: string): Record<string, unknown> {
  return parse(readFileSync(join(EXAMPLES, name), "utf8")) as Record<string, unknown>;
}

describe("maspo.schema.json", () => {
  it("is exactly what `maspo schema` prints (regenerate: npx maspo schema > maspo.schema.json)", () => {
    expect(readFileSync(join(REPO, "maspo.schema.json"), "utf8")).toBe(runSpecSchemaText());
  });

  it("is wired to the examples for editors", () => {
    for (const file of exampleFiles) {
      expect(readFileSync(join(EXAMPLES, file), "utf8"), file).toMatch(/^# yaml-language-server: \$schema=\.\.\/maspo\.schema\.json/);
    }
  });

  it.each(exampleFiles)("accepts examples/%s", (file) => {
    const ok = validate(example(file));
    expect(validate.errors ?? [], file).toEqual([]);
    expect(ok).toBe(true);
  });

  it("rejects a spec with an unknown key, a missing required field and a wrong enum value", () => {
    const spec = example("inline-arithmetic.yaml");
    const graph = spec["graph"] as Record<string, unknown>;
    graph["topology"] = "chain";
    delete spec["guards"];
    spec["serach"] = { beamSize: 3 };
    expect(validate(spec)).toBe(false);
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""} ${JSON.stringify(e.params)}`);
    expect(problems.some((p) => p.includes("serach"))).toBe(true);
    expect(problems.some((p) => p.includes('"missingProperty":"guards"'))).toBe(true);
    expect(problems.some((p) => p.startsWith("/graph/topology"))).toBe(true);
  });
});

describe("maspo-sweep.schema.json", () => {
  it("is exactly what `maspo schema --sweep` prints (regenerate: npx maspo schema --sweep > maspo-sweep.schema.json)", () => {
    expect(readFileSync(join(REPO, "maspo-sweep.schema.json"), "utf8")).toBe(sweepSchemaText());
  });

  it("has a sweep example, wired to it for editors and accepted by it", () => {
    expect(sweepFiles.length).toBeGreaterThan(0);
    for (const file of sweepFiles) {
      expect(readFileSync(join(EXAMPLES, file), "utf8"), file).toMatch(/^# yaml-language-server: \$schema=\.\.\/maspo-sweep\.schema\.json/);
      expect(validateSweep(example(file)), JSON.stringify(validateSweep.errors)).toBe(true);
    }
  });

  it("rejects a sweep with an unknown key and a seed that is not a whole number", () => {
    expect(validateSweep({ base: "x.yaml", seeds: [1.5], sedes: [1] })).toBe(false);
  });
});

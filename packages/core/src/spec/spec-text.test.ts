import { mkdtempSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { loadSpecFile } from "./load.js";
import { MAX_SPEC_BYTES, parseSpecText } from "./spec-text.js";

function refusal(text: string, source = "spec.yaml"): ValidationError {
  try {
    parseSpecText(text, source);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("parsed without problems");
}

/** The YAML "billion laughs": nine levels of nine aliases each, 9^9 strings once expanded. */
const ALIAS_BOMB = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
  .concat(
    "bcdefghi".split("").map((name, i) => {
      const prev = "abcdefghi"[i] as string;
      return `${name}: &${name} [${Array.from({ length: 9 }, () => `*${prev}`).join(", ")}]`;
    }),
  )
  .join("\n");

describe("parseSpecText: bounded YAML", () => {
  it("refuses a billion-laughs alias bomb with a validation error, not a stack trace", () => {
    const error = refusal(ALIAS_BOMB);
    expect(error.issues).toEqual([
      {
        path: "(document)",
        expected: "aliases that expand to a bounded document (each alias's expansion × its uses at most 100)",
        found: "aliases of aliases that expand exponentially (an alias bomb)",
      },
    ]);
    expect(error.message).toMatch(/^spec\.yaml: 1 problem; fix it and try again/);
  });

  it("refuses brackets nested 100000 deep at once, before the parser recurses into them", () => {
    const started = Date.now();
    const error = refusal(`a: ${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    expect(error.issues).toEqual([
      { path: "(document)", expected: "a document nested at most 64 levels deep", found: "brackets nested 100000 levels deep" },
    ]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("refuses block mappings nested more than 64 levels, and a document nested deeper than the parser's stack", () => {
    const nested = (levels: number) => Array.from({ length: levels }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n") + " x\n";
    expect(refusal(nested(70)).issues[0]).toMatchObject({ expected: "a document nested at most 64 levels deep", found: "70 levels" });
    expect(refusal(nested(3_000)).issues[0]).toMatchObject({ expected: "a document nested at most 64 levels deep" });
    expect(parseSpecText(nested(60), "ok.yaml").raw).toBeTypeOf("object");
  });

  it("refuses more than 100 aliases, and keeps a few anchors working", () => {
    const many = `base: &p { role: solver }\nlist: [${Array.from({ length: 101 }, () => "*p").join(", ")}]\n`;
    expect(refusal(many).issues).toEqual([{ path: "(document)", expected: "at most 100 aliases (*name)", found: "101 aliases" }]);
    const few = parseSpecText("base: &p { role: solver }\na: *p\nb: *p\n", "ok.yaml").raw;
    expect(few).toEqual({ base: { role: "solver" }, a: { role: "solver" }, b: { role: "solver" } });
  });

  it("refuses a document over 32 MiB, and a spec file over 32 MiB before reading it", async () => {
    expect(refusal(`a: "${"x".repeat(MAX_SPEC_BYTES)}"`).issues[0]).toMatchObject({
      path: "(document)",
      expected: "a document of at most 32.0 MiB",
      found: "32.0 MiB",
    });
    const file = join(mkdtempSync(join(tmpdir(), "maspo-big-")), "spec.yaml");
    writeFileSync(file, "");
    truncateSync(file, 5 * 1024 ** 3); // sparse: 5 GiB that nothing has to write or read
    const error = await loadSpecFile(file, { env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]).toMatchObject({ expected: "a document of at most 32.0 MiB", found: "5120.0 MiB" });
  });
});

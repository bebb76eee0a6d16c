// The catalogue is the one list of codes: every code string in the sources is in it, it lists none
// the sources do not use, and docs/errors.md is exactly what it renders (as maspo.schema.json is
// exactly what `maspo schema` prints, see test/cli-schema.test.ts).
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERROR_AREAS, ERROR_CODES, isErrorCode } from "./error-codes.js";
import { renderErrorDocs } from "./error-docs.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const PACKAGES = join(REPO, "packages");
const CATALOGUE_FILES = new Set(["packages/core/src/error-codes.ts", "packages/core/src/error-docs.ts"]);

/** Product sources (every .ts under packages/<name>/src but the tests), by repo-relative path. */
function productSources(): Map<string, string> {
  const files = new Map<string, string>();
  for (const pkg of readdirSync(PACKAGES)) {
    const src = join(PACKAGES, pkg, "src");
    if (!existsSync(src)) continue;
    for (const entry of readdirSync(src, { recursive: true, encoding: "utf8" })) {
      if (!entry.endsWith(".ts") || entry.endsWith(".test.ts")) continue;
      const file = join(src, entry);
      files.set(relative(REPO, file), readFileSync(file, "utf8"));
    }
  }
  return files;
}

const sources = productSources();
const CODE_STRING = /(["'`])(E_[A-Z][A-Z0-9_]*)\1/g;

function codeStringsIn(text: string): string[] {
  return [...text.matchAll(CODE_STRING)].map((m) => m[2] as string);
}

describe("the error catalogue", () => {
  it("holds every code string of the product sources", () => {
    const missing: string[] = [];
    for (const [file, text] of sources) {
      for (const code of codeStringsIn(text)) if (!isErrorCode(code)) missing.push(`${file}: ${code}`);
    }
    expect(missing).toEqual([]);
    // A scan that found no files would pass vacuously.
    expect(sources.size).toBeGreaterThan(50);
  });

  it("is not bypassed by codes built at run time, which no scan or type could check", () => {
    const built: string[] = [];
    for (const [file, text] of sources) if (/`E_[A-Z0-9_]*\$\{/.test(text)) built.push(file);
    expect(built).toEqual([]);
  });

  it("lists only codes the product sources use", () => {
    const used = new Set<string>();
    for (const [file, text] of sources) if (!CATALOGUE_FILES.has(file)) for (const code of codeStringsIn(text)) used.add(code);
    expect(Object.keys(ERROR_CODES).filter((code) => !used.has(code))).toEqual([]);
  });

  it("gives every area at least one code", () => {
    const areas = new Set(Object.values(ERROR_CODES).map((info) => info.area));
    expect(Object.keys(ERROR_AREAS).filter((area) => !areas.has(area as keyof typeof ERROR_AREAS))).toEqual([]);
  });

  it("documents each code in one line", () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(info.doc, code).not.toMatch(/\n/);
      expect(info.doc.length, code).toBeGreaterThan(20);
    }
  });

  it("recognises its codes in strings from the bus, and nothing else", () => {
    expect(isErrorCode("E_LLM_HTTP")).toBe(true);
    expect(isErrorCode("E_FROM_A_NEWER_WORKER")).toBe(false);
    expect(isErrorCode("toString")).toBe(false);
    expect(isErrorCode(undefined)).toBe(false);
  });
});

describe("docs/errors.md", () => {
  it("is exactly what renderErrorDocs() renders (regenerate: npm run docs:errors)", () => {
    expect(readFileSync(join(REPO, "docs", "errors.md"), "utf8")).toBe(renderErrorDocs());
  });

  it("lists every code once, under its area", () => {
    const docs = renderErrorDocs();
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(docs.split(`| \`${code}\` |`).length, code).toBe(2);
      const section = docs.slice(docs.indexOf(`## ${ERROR_AREAS[info.area]}\n`));
      expect(section.split("\n## ")[0], code).toContain(`| \`${code}\` |`);
    }
  });
});

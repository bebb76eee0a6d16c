/**
 * Loading worlds: a bundled world by name or any world file by path, YAML parsed, shape-checked and
 * cross-checked, with every problem reported at once by its path in the file.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MaspoError, ValidationError, issuesFromZod } from "@maspo/core";
import { parseDocument } from "yaml";
import { checkWorld } from "./world-check.js";
import { WorldSchema, type World } from "./world-schema.js";

/** The bundled worlds' folder, beside src/ and dist/ alike (this file is in src/world/ or dist/world/): under vitest and when built. */
const WORLDS_DIR = fileURLToPath(new URL("../../worlds/", import.meta.url));

export class WorldNotFoundError extends MaspoError<"E_WORLD_NOT_FOUND"> {
  constructor(nameOrPath: string, cause?: unknown) {
    super(
      "E_WORLD_NOT_FOUND",
      `No simlm world "${nameOrPath}": it is neither a bundled world (${bundledWorldNames().join(", ")}) nor a readable file.`,
      { cause },
    );
  }
}

export function bundledWorldNames(): string[] {
  if (!existsSync(WORLDS_DIR)) return [];
  return readdirSync(WORLDS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(`${WORLDS_DIR}${d.name}/world.yaml`))
    .map((d) => d.name)
    .sort();
}

export function bundledWorldPath(name: string): string {
  return `${WORLDS_DIR}${name}/world.yaml`;
}

/** Validate a parsed world document; `source` names it in the error. */
export function validateWorld(doc: unknown, source: string): World {
  const parsed = WorldSchema.safeParse(doc);
  if (!parsed.success)
    throw new ValidationError(source, issuesFromZod(parsed.error, doc, "no such field (see the world format in packages/simlm/README.md)"));
  const issues = checkWorld(parsed.data);
  if (issues.length > 0) throw new ValidationError(source, issues);
  return parsed.data;
}

export function parseWorldYaml(text: string, source: string): World {
  const document = parseDocument(text, { prettyErrors: false });
  if (document.errors.length > 0) {
    throw new ValidationError(
      source,
      document.errors.map((e) => ({
        path: e.linePos?.[0] ? `(line ${e.linePos[0].line}, column ${e.linePos[0].col})` : "(root)",
        expected: "valid YAML",
        found: e.message.split("\n")[0] ?? e.code,
      })),
    );
  }
  return validateWorld(document.toJS(), source);
}

const loaded = new Map<string, World>();

/** A bundled world by name, or a world file by path. Bundled worlds are loaded once per process. */
export function loadWorld(nameOrPath: string): World {
  const bundled = bundledWorldNames().includes(nameOrPath);
  const file = bundled ? bundledWorldPath(nameOrPath) : nameOrPath;
  if (bundled) {
    const hit = loaded.get(nameOrPath);
    if (hit) return hit;
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new WorldNotFoundError(nameOrPath, cause);
  }
  const world = parseWorldYaml(text, file);
  if (bundled) loaded.set(nameOrPath, world);
  return world;
}

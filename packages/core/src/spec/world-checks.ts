/**
 * Checks on the simlm worlds a spec names, at validate time rather than when the run first calls
 * them: every `simlm://<world>` endpoint and a simlm dataset's world must be a bundled world (with a
 * did-you-mean) or, for an endpoint, the world of the spec's own world file; a world file's split
 * sizes are bounded like the spec's. Core does not know simlm: the bundled names come from the
 * caller (the CLI and the run library pass simlm's), and without them only world files are read.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { Issue } from "../errors.js";
import { didYouMean } from "../did-you-mean.js";
import { formatPath } from "../issue-path.js";
import { simlmWorldOf } from "./endpoints.js";
import { MAX_SPEC_BYTES, parseSpecText } from "./spec-text.js";
import { SPEC_LIMITS } from "./schema.js";
import type { SpecSketch } from "./spec-sketch.js";

/** A world given by path (a file), not by a bundled world's name. */
export function isWorldPath(world: string): boolean {
  return /[\\/]|\.ya?ml$/i.test(world);
}

/** What a world file says about itself, read leniently: simlm validates the rest when it loads the file. */
interface WorldFileFacts {
  name?: string;
  train?: number;
  heldOut?: number;
}

function worldFileFacts(file: string): WorldFileFacts {
  try {
    if (statSync(file).size > MAX_SPEC_BYTES) return {};
    const raw = parseSpecText(readFileSync(file, "utf8"), file).raw;
    const doc = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
    const data = doc["data"] !== null && typeof doc["data"] === "object" ? (doc["data"] as Record<string, unknown>) : {};
    const facts: WorldFileFacts = {};
    if (typeof doc["name"] === "string") facts.name = doc["name"];
    if (typeof data["train"] === "number") facts.train = data["train"];
    if (typeof data["heldOut"] === "number") facts.heldOut = data["heldOut"];
    return facts;
  } catch {
    return {}; // unreadable or not YAML: simlm names the problem when it loads the file
  }
}

function unknownWorld(path: string, world: string, known: readonly string[], how: string): Issue {
  const issue: Issue = {
    path,
    expected: `${how}: a bundled simlm world (${known.join(", ")})`,
    found: `unknown world "${world}"`,
  };
  const hint = didYouMean(world, known);
  if (hint) issue.hint = hint;
  return issue;
}

/**
 * Every problem with the worlds a spec names. `bundled`: simlm's bundled world names; undefined
 * when the caller does not know them (then names are not checked).
 */
export function checkWorlds(sketch: SpecSketch, baseDir: string, bundled: readonly string[] | undefined): Issue[] {
  const issues: Issue[] = [];
  const source = sketch.datasetSource?.kind === "simlm" ? sketch.datasetSource : undefined;
  let fileWorld: WorldFileFacts = {};
  if (source && isWorldPath(source.world)) {
    const file = isAbsolute(source.world) ? source.world : resolve(baseDir, source.world);
    // A missing file is reported by the dataset checks.
    if (existsSync(file)) fileWorld = worldFileFacts(file);
    for (const split of ["train", "heldOut"] as const) {
      const size = fileWorld[split];
      if (source[split] === undefined && size !== undefined && size > SPEC_LIMITS.examples) {
        issues.push({
          path: "dataset.source.world",
          expected: `a world whose ${split} split has at most ${SPEC_LIMITS.examples} examples`,
          found: `data.${split}: ${size} in ${file}`,
          hint: `or set dataset.source.${split} to a smaller size`,
        });
      }
    }
  } else if (source && bundled !== undefined && !bundled.includes(source.world)) {
    issues.push(unknownWorld("dataset.source.world", source.world, bundled, "a world to generate the dataset from"));
  }
  if (bundled === undefined) return issues;
  // An endpoint may also simulate the spec's own world file, by the name that file gives its world.
  const known = fileWorld.name !== undefined && !bundled.includes(fileWorld.name) ? [...bundled, fileWorld.name] : [...bundled];
  for (const [id, model] of sketch.models) {
    const world = model.baseURL === undefined ? undefined : simlmWorldOf({ baseURL: model.baseURL });
    if (world === undefined || isWorldPath(world) || known.includes(world)) continue;
    issues.push(unknownWorld(formatPath(["models", id, "baseURL"]), world, known, "simlm://<world> naming the world to simulate"));
  }
  return issues;
}

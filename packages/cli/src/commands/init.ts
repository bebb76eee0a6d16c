/**
 * `maspo init [dir]`: writes a commented example spec, its JSONL dataset and the spec's JSON Schema,
 * then validates what it wrote. Refuses to overwrite any existing file unless --force.
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { loadSpecFile } from "@maspo/core";
import { bundledWorldNames } from "@maspo/simlm";
import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";
import { RefusedError } from "../exit-status.js";
import {
  INIT_HELD_OUT_FILE,
  INIT_HELD_OUT_JSONL,
  INIT_SCHEMA_FILE,
  INIT_SPEC_FILE,
  INIT_SPEC_YAML,
  INIT_TRAIN_FILE,
  INIT_TRAIN_JSONL,
} from "../init-template.js";
import { runSpecSchemaText } from "./schema.js";

interface InitFlags {
  force: boolean;
}

export function registerInitCommand(program: Command, io: CliIo): void {
  program
    .command("init")
    .description("write a commented example run spec and dataset that validate, to start from")
    .argument("[dir]", "directory to write into (created if missing)", ".")
    .option("--force", "overwrite existing files")
    .action(async (dir: string, flags: InitFlags) => {
      const root = resolve(io.cwd, dir);
      const files: [string, string][] = [
        [INIT_SPEC_FILE, INIT_SPEC_YAML],
        [INIT_TRAIN_FILE, INIT_TRAIN_JSONL],
        [INIT_HELD_OUT_FILE, INIT_HELD_OUT_JSONL],
        [INIT_SCHEMA_FILE, runSpecSchemaText()],
      ];
      const existing = files.map(([name]) => join(root, name)).filter((path) => existsSync(path));
      if (existing.length > 0 && !flags.force) {
        throw new RefusedError(`maspo init: refusing to overwrite ${existing.join(", ")} (use --force to overwrite)`);
      }
      for (const [name, content] of files) {
        const path = join(root, name);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, content, "utf8");
      }
      const specPath = join(root, INIT_SPEC_FILE);
      await loadSpecFile(specPath, { env: io.env, simlmWorlds: bundledWorldNames() });
      const shown = relative(io.cwd, specPath) || INIT_SPEC_FILE;
      io.out(
        `wrote ${files.map(([name]) => relative(io.cwd, join(root, name))).join(", ")}\n` +
          `next: maspo validate ${shown}   then maspo run ${shown}, and edit it into your own system\n`,
      );
    });
}

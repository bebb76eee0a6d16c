/**
 * `maspo schema`: the run spec's JSON Schema (or with --sweep the sweep file's), generated from the
 * zod schema, for editors to complete and check spec files (committed as maspo.schema.json and
 * maspo-sweep.schema.json).
 */
import { runSpecJsonSchema } from "@maspo/core";
import { sweepFileJsonSchema } from "@maspo/run";
import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";

/** The exact text `maspo schema` prints; maspo.schema.json must equal it. */
export function runSpecSchemaText(): string {
  return `${JSON.stringify(runSpecJsonSchema(), null, 2)}\n`;
}

/** The exact text `maspo schema --sweep` prints; maspo-sweep.schema.json must equal it. */
export function sweepSchemaText(): string {
  return `${JSON.stringify(sweepFileJsonSchema(), null, 2)}\n`;
}

export function registerSchemaCommand(program: Command, io: CliIo): void {
  program
    .command("schema")
    .description("print the JSON Schema of the run spec (e.g. > maspo.schema.json, for editor completion)")
    .option("--sweep", "the sweep file's schema instead (> maspo-sweep.schema.json)")
    .action((flags: { sweep?: boolean }) => {
      io.out(flags.sweep === true ? sweepSchemaText() : runSpecSchemaText());
    });
}

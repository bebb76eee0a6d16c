/**
 * `maspo schema`: the run spec's JSON Schema, generated from the zod schema, for editors to complete
 * and check spec files (the repository commits it as maspo.schema.json).
 */
import { runSpecJsonSchema } from "@maspo/core";
import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";

/** The exact text `maspo schema` prints; maspo.schema.json must equal it. */
export function runSpecSchemaText(): string {
  return `${JSON.stringify(runSpecJsonSchema(), null, 2)}\n`;
}

export function registerSchemaCommand(program: Command, io: CliIo): void {
  program
    .command("schema")
    .description("print the JSON Schema of the run spec (e.g. > maspo.schema.json, for editor completion)")
    .action(() => {
      io.out(runSpecSchemaText());
    });
}

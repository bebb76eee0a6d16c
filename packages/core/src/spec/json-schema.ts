/**
 * The run spec's JSON Schema, generated from the zod schema (the input side: what a user writes,
 * with defaults shown), so editors can complete and check spec files. Committed as maspo.schema.json.
 */
import { z } from "zod";
import { RunSpecSchema } from "./schema.js";

export function runSpecJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(RunSpecSchema, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>;
}

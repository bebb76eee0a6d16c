/**
 * The wire format: msgpackr bytes, validated with zod at receipt. Decoding never trusts the bus:
 * undecodable or invalid bytes become a CodecError carrying the reason, so the consumer can move the
 * message to the dead-letter stream instead of crashing or retrying it forever.
 */
import { Packr } from "msgpackr";
import type { z } from "zod";
import { MaspoError, ValidationError, type Issue } from "@maspo/core";
import { issuesFromZod } from "@maspo/core";
import { ResultEnvelopeSchema, TaskEnvelopeSchema, type ResultEnvelope, type TaskEnvelope } from "./messages.js";

// Records (msgpackr's shared structures) would make a message depend on what its sender sent before;
// every message must decode on its own, in any process.
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** Bytes that are not a valid message of the expected kind. `reason` is what goes into the dead-letter record. */
export class CodecError extends MaspoError<"E_CODEC"> {
  readonly reason: string;
  readonly issues: readonly Issue[];

  constructor(what: string, reason: string, issues: readonly Issue[] = [], options?: { cause?: unknown }) {
    super("E_CODEC", `cannot decode ${what}: ${reason}`, options);
    this.reason = reason;
    this.issues = issues;
  }
}

export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decodes and validates bytes as `schema`; throws CodecError with every problem found. */
export function decode<S extends z.ZodType>(schema: S, bytes: Uint8Array, what: string): z.infer<S> {
  let raw: unknown;
  try {
    raw = ownStrings(packr.unpack(bytes));
  } catch (err) {
    throw new CodecError(what, `not msgpack (${err instanceof Error ? err.message : String(err)})`, [], {
      cause: err,
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error, raw);
    throw new CodecError(what, issues.map((i) => `${i.path}: expected ${i.expected}, found ${i.found}`).join("; "), issues);
  }
  return parsed.data;
}

/**
 * V8 makes no slice of a string shorter than this: such a string is always a copy of its own.
 * (SlicedString::kMinLength.)
 */
const SHORTEST_SLICE = 13;

/**
 * msgpackr's native string extraction decodes the rest of a message into one string and hands out
 * slices of it, so one string kept from a message (a task id as a map key, a prompt in the run state)
 * keeps the whole message alive: over a long run the coordinator's index of task ids held every
 * result's bytes again. Each decoded string of a slice's length is copied into its own (a JSON round
 * trip makes a flat string), in place, so a message is freed once nothing holds its objects.
 */
function ownStrings(value: unknown): unknown {
  if (typeof value === "string") return value.length < SHORTEST_SLICE ? value : (JSON.parse(JSON.stringify(value)) as string);
  if (value === null || typeof value !== "object" || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = ownStrings(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) record[key] = ownStrings(record[key]);
  return record;
}

export function decodeTask(bytes: Uint8Array): TaskEnvelope {
  return decode(TaskEnvelopeSchema, bytes, "task envelope");
}

export function decodeResult(bytes: Uint8Array): ResultEnvelope {
  return decode(ResultEnvelopeSchema, bytes, "result envelope");
}

/** Validates in-memory input at a boundary; throws ValidationError naming every problem. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, source: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(source, issuesFromZod(parsed.error, value));
  return parsed.data;
}

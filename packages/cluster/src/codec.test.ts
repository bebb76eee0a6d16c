import { randomUUID } from "node:crypto";
import { getHeapSnapshot } from "node:v8";
import { describe, expect, test } from "vitest";
import { z } from "zod";
import { CodecError, decode, decodeResult, decodeTask, encode, validate } from "./codec.js";
import { ValidationError } from "@maspo/core";

describe("codec", () => {
  test("a task envelope survives encode and decode unchanged", () => {
    const task = { v: 1, runId: "r1", taskId: "exec:abc", role: "executor", kind: "run-graph", payload: { xs: [1, "two", null] } } as const;
    expect(decodeTask(encode(task))).toEqual(task);
  });

  test("an error result survives encode and decode unchanged", () => {
    const result = {
      v: 1,
      runId: "r1",
      taskId: "t",
      role: "mutator",
      ok: false,
      error: { code: "E_X", message: "m", retryable: true },
    } as const;
    expect(decodeResult(encode(result))).toEqual(result);
  });

  test("bytes that are not msgpack fail with a CodecError whose reason says so", () => {
    const err = (() => {
      try {
        decodeTask(new Uint8Array([0xc1, 0xff, 0x00]));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(CodecError);
    expect((err as CodecError).reason).toMatch(/^not msgpack/);
  });

  test("a decodable but invalid envelope fails with every problem named in the reason and issues", () => {
    const bytes = encode({ v: 2, runId: "bad run", taskId: "t", role: "judge", kind: "k", payload: 1 });
    let err: unknown;
    try {
      decodeTask(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CodecError);
    const codecError = err as CodecError;
    expect(codecError.issues.map((i) => i.path).sort()).toEqual(["role", "runId", "v"]);
    expect(codecError.reason).toContain("runId: expected");
    expect(codecError.code).toBe("E_CODEC");
  });

  test("a result whose handler returned nothing round-trips with an undefined payload", () => {
    const decoded = decodeResult(encode({ v: 1, runId: "r", taskId: "t", role: "executor", ok: true, payload: undefined }));
    expect(decoded).toEqual({ v: 1, runId: "r", taskId: "t", role: "executor", ok: true, payload: undefined });
  });

  test("decode validates against any schema given", () => {
    expect(decode(z.object({ n: z.number() }), encode({ n: 3 }), "thing")).toEqual({ n: 3 });
    expect(() => decode(z.object({ n: z.number() }), encode({ n: "3" }), "thing")).toThrow(/cannot decode thing: n: expected/);
  });

  test("validate throws a ValidationError listing every problem of in-memory input", () => {
    const schema = z.object({ a: z.number(), b: z.string() });
    expect(() => validate(schema, { a: "x", b: 1 }, "settings")).toThrow(ValidationError);
    try {
      validate(schema, { a: "x", b: 1 }, "settings");
    } catch (e) {
      expect((e as ValidationError).issues.map((i) => i.path)).toEqual(["a", "b"]);
    }
  });

  test("a string kept from a decoded message does not keep the message alive (no slice of the message's bytes)", async () => {
    // The task id is kept, as the coordinator's index keeps it; the rest of the message is dropped.
    const taskId = `runGraph.${randomUUID()}`;
    const note = `the-rest-of-the-message-${randomUUID()}`;
    const kept = decodeResult(
      encode({ v: 1, runId: "r1", taskId, role: "executor", ok: true, payload: { note, pad: "x".repeat(200) } }),
    ).taskId;
    expect(kept).toBe(taskId);
    // msgpackr holds the last message it decoded until the next one: decode another.
    decodeResult(encode({ v: 1, runId: "r1", taskId: "other", role: "executor", ok: true, payload: null }));
    // A heap snapshot holds only what is reachable: no live string may hold the task id with the rest.
    const chunks: Buffer[] = [];
    for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer);
    const { strings } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { strings: string[] };
    expect(strings.filter((s) => s.includes(taskId) && s.includes(note))).toEqual([]);
    expect(strings).toContain(kept);
  });
});

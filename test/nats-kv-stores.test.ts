/**
 * The KV-backed stores on a real nats-server: checkpoint compare-and-swap (two coordinators of one
 * run cannot both write), values over max_payload, and the shared LLM response cache.
 */
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CheckpointConflictError, KvResponseCache, openKvRecord, runBucketNames } from "@maspo/cluster";
import { Rng } from "@maspo/core";
import { startNatsServer, type NatsServer } from "./helpers/nats-server.js";

describe("KV stores", () => {
  let server: NatsServer;
  let ncA: NatsConnection;
  let ncB: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer();
    ncA = await connect({ servers: server.url });
    ncB = await connect({ servers: server.url });
  });

  afterAll(async () => {
    await ncA.close();
    await ncB.close();
    await server.dispose();
  });

  test("a checkpoint saved and loaded keeps its value and revision", async () => {
    const store = await openKvRecord(ncA, "kv-roundtrip");
    expect(await store.load()).toBeUndefined();
    const revision = await store.save({ round: 1, beam: ["a", "b"], rng: 42 }, undefined);
    expect(await store.load()).toEqual({ value: { round: 1, beam: ["a", "b"], rng: 42 }, revision });
  });

  test("the checkpoint store refuses a writer holding a stale revision", async () => {
    const first = await openKvRecord(ncA, "kv-cas");
    const second = await openKvRecord(ncB, "kv-cas");
    const r1 = await first.save({ step: 1 }, undefined);
    const seenBySecond = await second.load();
    expect(seenBySecond?.revision).toBe(r1);
    await first.save({ step: 2 }, r1);
    const err = await second.save({ step: "2 from the other coordinator" }, r1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointConflictError);
    expect((err as CheckpointConflictError).message).toMatch(/another coordinator owns run "kv-cas".*--resume kv-cas/);
    expect((await first.load())?.value).toEqual({ step: 2 });
  });

  test("a second coordinator's first write to an already checkpointed run is refused", async () => {
    const first = await openKvRecord(ncA, "kv-first-write");
    const second = await openKvRecord(ncB, "kv-first-write");
    await first.save({ owner: "first" }, undefined);
    await expect(second.save({ owner: "second" }, undefined)).rejects.toBeInstanceOf(CheckpointConflictError);
  });

  test("a checkpoint larger than the server's max_payload round-trips in chunks, and replaced chunks are deleted", async () => {
    const store = await openKvRecord(ncA, "kv-big");
    const rng = new Rng(7);
    const big = Uint8Array.from({ length: 2_500_000 }, () => rng.int(256));
    const r1 = await store.save({ blob: big }, undefined);
    const loaded = await store.load();
    expect(Buffer.from((loaded?.value as { blob: Uint8Array }).blob).equals(Buffer.from(big))).toBe(true);

    await store.save({ small: true }, r1);
    expect((await store.load())?.value).toEqual({ small: true });
    const kv = await new Kvm(ncA).open(runBucketNames("kv-big").checkpoints);
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    expect(keys).toEqual(["checkpoint"]);
  });

  test("the response cache returns to every replica what any replica stored, and undefined for a miss", async () => {
    const bucket = "maspo_test_cache";
    const writer = await KvResponseCache.open(ncA, { bucket });
    const reader = await KvResponseCache.open(ncB, { bucket });
    const value = { content: "42", finishReason: "stop", usage: { promptTokens: 10, completionTokens: 2 } };
    expect(await reader.get("ab12cd34ef56ab78")).toBeUndefined();
    await writer.set("ab12cd34ef56ab78", value);
    expect(await reader.get("ab12cd34ef56ab78")).toEqual(value);
  });

  test("an unreadable cache entry is a miss, counted and reported, not an error", async () => {
    const bucket = "maspo_test_cache_corrupt";
    const corrupt: string[] = [];
    const cache = await KvResponseCache.open(ncA, { bucket, onCorrupt: (key) => corrupt.push(key) });
    const value = { content: "x", finishReason: "stop", usage: { promptTokens: 1, completionTokens: 1 } };
    await cache.set("deadbeefdeadbeef", value);
    const kv = await new Kvm(ncA).open(bucket);
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    const [stored] = keys;
    if (!stored) throw new Error("expected one stored entry");
    await kv.put(stored, new Uint8Array([1, 2, 3]));
    expect(await cache.get("deadbeefdeadbeef")).toBeUndefined();
    expect(cache.corruptEntries).toBe(1);
    expect(corrupt).toEqual(["deadbeefdeadbeef"]);
  });
});

/**
 * The KV-backed stores on a real nats-server: checkpoint compare-and-swap (two coordinators of one
 * run cannot both write), values over max_payload, a run's record removed with the run, the shared
 * LLM response cache and its bounds, and the run registry pool workers watch.
 */
import { DiscardPolicy, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  CheckpointConflictError,
  KvResponseCache,
  RESPONSE_CACHE_DEFAULTS,
  RunRegistry,
  deleteKvRecord,
  openKvRecord,
  runBucketNames,
  type RunRegistryChange,
  type RunRegistryEntry,
} from "@maspo/cluster";
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

  test("reading a run's record never creates its bucket, and deleteKvRecord removes the bucket with the record", async () => {
    const jsm = await jetstreamManager(ncA);
    const stream = `KV_${runBucketNames("kv-gone").checkpoints}`;
    const exists = (): Promise<boolean> =>
      jsm.streams.info(stream).then(
        () => true,
        () => false,
      );
    const reader = await openKvRecord(ncA, "kv-gone");
    expect(await reader.load()).toBeUndefined();
    expect(await exists()).toBe(false);
    await (await openKvRecord(ncB, "kv-gone")).save({ step: 1 }, undefined);
    expect((await reader.load())?.value).toEqual({ step: 1 });
    expect(await deleteKvRecord(jsm, "kv-gone")).toBe(true);
    expect(await reader.load()).toBeUndefined();
    expect(await exists()).toBe(false);
    expect(await deleteKvRecord(jsm, "kv-gone")).toBe(false);
  });

  test("the response cache is bounded: a TTL and a size cap on its bucket, oldest entries dropped when full, set bounds applied to an existing bucket", async () => {
    const jsm = await jetstreamManager(ncA);
    const bucket = "maspo_test_cache_bounded";
    const cache = await KvResponseCache.open(ncA, { bucket });
    expect(cache.bounds).toEqual(RESPONSE_CACHE_DEFAULTS);
    let config = (await jsm.streams.info(`KV_${bucket}`)).config;
    expect([config.max_age, config.max_bytes, config.discard]).toEqual([
      RESPONSE_CACHE_DEFAULTS.ttlMs * 1_000_000,
      RESPONSE_CACHE_DEFAULTS.maxBytes,
      DiscardPolicy.Old,
    ]);

    // An operator's bounds rule an existing bucket; bounds not given keep what the bucket has.
    const small = { ttlMs: 3_600_000, maxBytes: 8 * 1024 * 1024 };
    const bounded = await KvResponseCache.open(ncB, { bucket, bounds: small });
    expect(bounded.bounds).toEqual(small);
    expect((await KvResponseCache.open(ncA, { bucket })).bounds).toEqual(small);
    config = (await jsm.streams.info(`KV_${bucket}`)).config;
    expect([config.max_age, config.max_bytes]).toEqual([small.ttlMs * 1_000_000, small.maxBytes]);

    // 12 MiB of entries into an 8 MiB cache: every write succeeds, the oldest entries make room.
    const content = "x".repeat(512 * 1024);
    for (let i = 0; i < 24; i++) {
      await bounded.set(`entry-${i}`, { content, finishReason: "stop", usage: { promptTokens: 1, completionTokens: 1 } });
    }
    const state = (await jsm.streams.info(`KV_${bucket}`)).state;
    expect(state.bytes).toBeLessThanOrEqual(small.maxBytes);
    expect(await bounded.get("entry-0")).toBeUndefined();
    expect((await bounded.get("entry-23"))?.content).toBe(content);

    await expect(KvResponseCache.open(ncA, { bucket, bounds: { maxBytes: 1000 } })).rejects.toThrow(/maxBytes/);
  });

  test("the run registry: entries by run id, compare-and-swap updates, and a watch that replays then follows", async () => {
    const registry = await RunRegistry.open(ncA);
    const entry = (runId: string, status: RunRegistryEntry["status"]): RunRegistryEntry => ({
      v: 1,
      runId,
      status,
      specHash: "0123456789abcdef",
      updatedAt: new Date().toISOString(),
    });
    const r1 = await registry.put(entry("reg-a", "running"));
    expect((await registry.get("reg-a"))?.entry.status).toBe("running");
    expect(await registry.get("reg-never")).toBeUndefined();
    const r2 = await registry.update(entry("reg-a", "running"), r1);
    expect(r2).toBeGreaterThan(r1);
    expect(await registry.update(entry("reg-a", "done"), r1), "a stale revision writes nothing").toBeUndefined();

    const stop = new AbortController();
    const seen: RunRegistryChange[] = [];
    const watching = (async () => {
      for await (const change of (await RunRegistry.open(ncB)).watch({ signal: stop.signal })) {
        seen.push(change);
        if (seen.length === 3) stop.abort();
      }
    })();
    await expect.poll(() => seen.length).toBe(1);
    await registry.put(entry("reg-b", "running"));
    await registry.put(entry("reg-a", "done"));
    await watching;
    expect(seen.map((c) => [c.runId, c.entry?.status])).toEqual([
      ["reg-a", "running"],
      ["reg-b", "running"],
      ["reg-a", "done"],
    ]);
    const kv = await new Kvm(ncA).open("maspo_runs");
    const status = await kv.status();
    expect(status.ttl).toBe(24 * 60 * 60 * 1000);
  });
});

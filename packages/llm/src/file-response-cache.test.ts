import { mkdtemp, readdir, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileResponseCache, preciseNow } from "./file-response-cache.js";
import { ResponseCacheError } from "./llm-error.js";
import { MemoryResponseCache } from "./response-cache.js";

const KEY = "ab".repeat(32);
const VALUE = { content: "42", finishReason: "stop", usage: { promptTokens: 3, completionTokens: 1 } };

describe("FileResponseCache", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "maspo-file-cache-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("returns what was set, from a file sharded by key prefix, leaving no temp files", async () => {
    const cache = new FileResponseCache(dir);
    expect(await cache.get(KEY)).toBeUndefined();
    await cache.set(KEY, VALUE);
    expect(await new FileResponseCache(dir).get(KEY)).toEqual(VALUE);
    expect(await readdir(join(dir, "ab"))).toEqual([`${KEY}.json`]);
  });

  it("writes an entry even when its subdirectory was removed after this cache made it", async () => {
    const cache = new FileResponseCache(dir);
    await cache.set(KEY, VALUE);
    await rm(join(dir, "ab"), { recursive: true });
    const OTHER = `ab${"01".repeat(31)}`;
    await cache.set(OTHER, VALUE);
    expect(await new FileResponseCache(dir).get(OTHER)).toEqual(VALUE);
    expect(await readdir(join(dir, "ab"))).toEqual([`${OTHER}.json`]);
  });

  it("answers an entry it wrote or read again from memory, reading no file, and keeps only the most recent ones", async () => {
    const keys = ["01", "02", "03"].map((p) => p.repeat(32));
    const writer = new FileResponseCache(dir, { memoryEntries: 2 });
    for (const key of keys) await writer.set(key, VALUE);
    const reader = new FileResponseCache(dir, { memoryEntries: 2 });
    expect(await reader.get(keys[0] as string)).toEqual(VALUE);
    await rm(join(dir, "01"), { recursive: true });
    await rm(join(dir, "03"), { recursive: true });
    // Read once, so remembered: its file is gone and it is still answered.
    expect(await reader.get(keys[0] as string)).toEqual(VALUE);
    // Written by the writer, whose memory holds the two most recent (02, 03): 03 from memory, 01 from its (gone) file.
    expect(await writer.get(keys[2] as string)).toEqual(VALUE);
    expect(await writer.get(keys[0] as string)).toBeUndefined();
    // A caller changing its answer changes nothing cached.
    const got = await reader.get(keys[0] as string);
    got!.usage.promptTokens = 999;
    expect(await reader.get(keys[0] as string)).toEqual(VALUE);
  });

  it("says once that an entry written after a resumed run's last checkpoint by another process is unpaid; never for its own writes or older entries", async () => {
    const OLD = "cd".repeat(32);
    const OWN = "ef".repeat(32);
    await new FileResponseCache(dir).set(OLD, VALUE);
    const checkpointAt = preciseNow();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await new FileResponseCache(dir).set(KEY, VALUE); // the killed process, after its last checkpoint
    const resumed = new FileResponseCache(dir, { unpaidAfterMs: checkpointAt });
    await resumed.set(OWN, VALUE);
    for (const key of [OLD, KEY, OWN]) expect(await resumed.get(key)).toEqual(VALUE);
    expect([OLD, KEY, OWN].map((key) => resumed.takeUnpaid(key))).toEqual([false, true, false]);
    expect(await resumed.get(KEY)).toEqual(VALUE);
    expect(resumed.takeUnpaid(KEY)).toBe(false);
    // A run that is not resumed never asks.
    const fresh = new FileResponseCache(dir);
    await fresh.get(KEY);
    expect(fresh.takeUnpaid(KEY)).toBe(false);
  });

  it("treats unparseable, wrongly shaped and misplaced entries as counted misses", async () => {
    const reasons: string[] = [];
    const cache = new FileResponseCache(dir, { onCorrupt: (_file, reason) => reasons.push(reason) });
    await mkdir(join(dir, "ab"), { recursive: true });
    await writeFile(join(dir, "ab", `${KEY}.json`), '{"v":1,"key":"ab', "utf8");
    expect(await cache.get(KEY)).toBeUndefined();
    await writeFile(join(dir, "ab", `${KEY}.json`), JSON.stringify({ v: 1, key: KEY, value: { content: 1 } }), "utf8");
    expect(await cache.get(KEY)).toBeUndefined();
    await writeFile(join(dir, "ab", `${KEY}.json`), JSON.stringify({ v: 1, key: "cd".repeat(32), value: VALUE }), "utf8");
    expect(await cache.get(KEY)).toBeUndefined();
    expect(cache.corruptEntries).toBe(3);
    expect(reasons).toHaveLength(3);
    await cache.set(KEY, VALUE);
    expect(await cache.get(KEY)).toEqual(VALUE);
  });

  it("refuses keys that are not hex digests, so a key cannot address a path outside the directory", async () => {
    const cache = new FileResponseCache(dir);
    await expect(cache.get("../../etc/passwd")).rejects.toBeInstanceOf(ResponseCacheError);
    await expect(cache.set("../x", VALUE)).rejects.toBeInstanceOf(ResponseCacheError);
  });

  it("survives many concurrent writers of the same key", async () => {
    const cache = new FileResponseCache(dir);
    await Promise.all(Array.from({ length: 20 }, () => cache.set(KEY, VALUE)));
    expect(await cache.get(KEY)).toEqual(VALUE);
    expect(await readdir(join(dir, "ab"))).toEqual([`${KEY}.json`]);
  });
});

describe("MemoryResponseCache", () => {
  it("hands out copies, so a caller mutating a result cannot change the cached value", async () => {
    const cache = new MemoryResponseCache();
    await cache.set(KEY, VALUE);
    const got = await cache.get(KEY);
    got!.usage.promptTokens = 999;
    expect(await cache.get(KEY)).toEqual(VALUE);
  });
});

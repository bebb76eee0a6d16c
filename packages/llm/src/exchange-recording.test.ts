import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExchangeRecorder, ExchangeReplayer, type ReplayMiss } from "./exchange-recording.js";
import { LlmClient } from "./llm-client.js";
import type { LlmEndpoint } from "./llm-endpoint.js";
import { LlmError } from "./llm-error.js";
import { MemoryResponseCache, type ResponseCache } from "./response-cache.js";

const KEY = "sk-unit-secret-123456";
const endpoint: LlmEndpoint = {
  id: "gpt",
  baseURL: "https://llm.example/v1",
  model: "gpt-test",
  apiKeyEnv: "UNIT_KEY",
  price: { inputPerMTok: 1, outputPerMTok: 2 },
  concurrency: 4,
  timeoutMs: 5_000,
  maxRetries: 3,
};

function completion(content: string) {
  return {
    id: "c",
    object: "chat.completion",
    created: 0,
    model: "gpt-test",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 11, completion_tokens: 3 },
  };
}

/**
 * A server that fails every request's first attempt with a 500, then answers with the last user
 * message reversed — and, to try the scrubbing, may quote the Authorization header it was sent.
 */
function flakyServer(quoteKey: boolean) {
  const attempts = new Map<string, number>();
  let calls = 0;
  const fetchFn = async (_input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls++;
    const body = String(init?.body);
    const n = (attempts.get(body) ?? 0) + 1;
    attempts.set(body, n);
    if (n === 1) return new Response(JSON.stringify({ error: { message: "boom" } }), { status: 500 });
    const auth = new Headers(init?.headers).get("authorization") ?? "";
    const user = (JSON.parse(body) as { messages: { content: string }[] }).messages.at(-1)?.content ?? "";
    const answer = [...user].reverse().join("") + (quoteKey ? ` (${auth})` : "");
    return new Response(JSON.stringify(completion(answer)), {
      status: 200,
      headers: { "content-type": "application/json", "set-cookie": "session=abc" },
    });
  };
  return { fetch: fetchFn as typeof fetch, calls: () => calls };
}

const noSleep = () => Promise.resolve();
const ask = (client: LlmClient, text: string) =>
  client.complete({ endpointId: "gpt", role: "serving", messages: [{ role: "user", content: text }], temperature: 0, seed: 1 });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "maspo-exchanges-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function record(cache: ResponseCache = new MemoryResponseCache(), quoteKey = false) {
  const server = flakyServer(quoteKey);
  const recorder = new ExchangeRecorder(join(dir, "exchanges.jsonl"), [KEY]);
  const client = new LlmClient({
    endpoints: [endpoint],
    env: { UNIT_KEY: KEY },
    cache: recorder.wrapCache(cache),
    fetchFor: (e) => recorder.wrapFetch(e, server.fetch),
    sleep: noSleep,
  });
  const answers = [await ask(client, "abc"), await ask(client, "xyz"), await ask(client, "abc")];
  const counts = await recorder.close();
  return { answers, counts, accounting: client.accounting.snapshot(), server };
}

function replayClient(replayer: ExchangeReplayer): LlmClient {
  return new LlmClient({
    endpoints: [endpoint],
    env: { UNIT_KEY: "placeholder" },
    cache: replayer.seededCache(),
    fetchFor: (e) => replayer.fetchFor(e),
    sleep: noSleep,
  });
}

describe("exchange recording", () => {
  it("keeps every attempt (the failed ones too) with request and response bodies, but no header and no key", async () => {
    const { counts, server } = await record(new MemoryResponseCache(), true);
    // Two distinct requests, each failing once, then answering; the third ask is a cache hit.
    expect(server.calls()).toBe(4);
    expect(counts).toEqual({ exchanges: 4, cached: 0 });
    const text = await readFile(join(dir, "exchanges.jsonl"), "utf8");
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { outcome: { type: string; status: number; headers: Record<string, string> }; request: unknown });
    expect(lines.map((l) => l.outcome.status)).toEqual([500, 200, 500, 200]);
    expect(lines[1]?.request).toMatchObject({ model: "gpt-test", messages: [{ role: "user", content: "abc" }] });
    expect(lines[1]?.outcome.headers).toEqual({ "content-type": "application/json" });
    // The server quoted the key back: scrubbed.
    expect(text).not.toContain(KEY);
    expect(text).toContain("Bearer [redacted]");
    expect(text).not.toContain("session=abc");
  });

  it("replays to the same answers and the same accounting (calls, tokens, retries, failed attempts) without the server", async () => {
    const recorded = await record();
    const misses: ReplayMiss[] = [];
    const replayer = await ExchangeReplayer.load(join(dir, "exchanges.jsonl"), (m) => misses.push(m));
    const client = replayClient(replayer);
    const answers = [await ask(client, "abc"), await ask(client, "xyz"), await ask(client, "abc")];
    expect(answers.map((a) => a.content)).toEqual(recorded.answers.map((a) => a.content));
    expect(answers.map((a) => a.cached)).toEqual([false, false, true]);
    expect(answers.map((a) => a.failedAttempts ?? 0)).toEqual([1, 1, 0]);
    expect(client.accounting.snapshot()).toEqual(recorded.accounting);
    expect(replayer.served).toBe(4);
    expect(misses).toEqual([]);
  });

  it("answers a request it does not hold with a refusal the client does not retry, and reports the miss", async () => {
    await record();
    const misses: ReplayMiss[] = [];
    const replayer = await ExchangeReplayer.load(join(dir, "exchanges.jsonl"), (m) => misses.push(m));
    const client = replayClient(replayer);
    const error = await ask(client, "never asked").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmError);
    expect((error as LlmError).code).toBe("E_LLM_HTTP");
    expect((error as LlmError).details.attempts).toBe(1);
    expect(misses).toHaveLength(1);
    expect(misses[0]).toMatchObject({
      endpointId: "gpt",
      model: "gpt-test",
      method: "POST",
      path: "/v1/chat/completions",
      recordedForKey: 0,
    });
    expect(misses[0]?.key).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keeps the answers a warm cache gave, and replays them as the same cache hits", async () => {
    // A first run fills a cache; a second, recorded run over that cache pays for nothing.
    const warm = new MemoryResponseCache();
    await record(warm);
    await rm(join(dir, "exchanges.jsonl"));
    const second = await record(warm);
    expect(second.server.calls()).toBe(0);
    expect(second.counts).toEqual({ exchanges: 0, cached: 2 });
    const replayer = await ExchangeReplayer.load(join(dir, "exchanges.jsonl"), () => undefined);
    const client = replayClient(replayer);
    const answers = [await ask(client, "abc"), await ask(client, "xyz"), await ask(client, "abc")];
    expect(answers.map((a) => a.content)).toEqual(second.answers.map((a) => a.content));
    expect(answers.every((a) => a.cached)).toBe(true);
    expect(client.accounting.snapshot()).toEqual(second.accounting);
  });

  it("replays an attempt the client gave up on (its timeout) as the same give-up, then the answer that followed", async () => {
    const slow = { ...endpoint, timeoutMs: 50 };
    let calls = 0;
    // The first attempt never answers (only the client's timeout ends it); the second answers.
    const hangOnce = (async (_input: string | URL | Request, init?: RequestInit) => {
      if (++calls === 1) {
        return new Promise<Response>((_, reject) =>
          init?.signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true }),
        );
      }
      return new Response(JSON.stringify(completion("late")), { status: 200, headers: { "content-type": "application/json" } });
    }) as typeof fetch;
    const recorder = new ExchangeRecorder(join(dir, "exchanges.jsonl"), []);
    const live = new LlmClient({
      endpoints: [slow],
      env: { UNIT_KEY: KEY },
      fetchFor: (e) => recorder.wrapFetch(e, hangOnce),
      sleep: noSleep,
    });
    const answer = await ask(live, "abc");
    await recorder.close();
    const kinds = (await readFile(join(dir, "exchanges.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { outcome: { type: string } }).outcome.type);
    expect(kinds).toEqual(["aborted", "response"]);

    const replayer = await ExchangeReplayer.load(join(dir, "exchanges.jsonl"), () => undefined);
    const replayed = new LlmClient({
      endpoints: [slow],
      env: { UNIT_KEY: "placeholder" },
      cache: replayer.seededCache(),
      fetchFor: (e) => replayer.fetchFor(e),
      sleep: noSleep,
    });
    const again = await ask(replayed, "abc");
    expect(again.content).toBe(answer.content);
    expect(again.failedAttempts).toBe(1);
    expect(replayed.accounting.snapshot()).toEqual(live.accounting.snapshot());
  });

  it("refuses a recording line that is not an exchange, naming the line", async () => {
    const file = join(dir, "exchanges.jsonl");
    await writeFile(file, `${JSON.stringify({ v: 1, kind: "exchange", key: "nothex" })}\n`);
    await expect(ExchangeReplayer.load(file, () => undefined)).rejects.toThrow(
      /exchanges\.jsonl line 1: not a recorded exchange of version 1/,
    );
  });
});

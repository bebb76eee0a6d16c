/**
 * Cross-process single-flight on the shared LLM response cache, on a real nats-server: replicas that
 * send the same request at the same moment pay for one call, and a replica that dies mid-call holds
 * nobody up for longer than its claim's ttl. Clients on separate NATS connections in this process,
 * then separate OS processes running the built core (build with `npx tsc -b` first).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KvResponseCache } from "@maspo/cluster";
import {
  LlmClient,
  completionCacheKey,
  type CachedCompletion,
  type LlmCompletionRequest,
  type LlmEndpoint,
  type LlmEvent,
  type ResponseCache,
} from "@maspo/llm";
import { startNatsServer, type NatsServer } from "./helpers/nats-server.js";

const ROOT = resolve(import.meta.dirname, "..");
const CLUSTER_DIST = pathToFileURL(join(ROOT, "packages/cluster/dist/index.js")).href;
const LLM_DIST = pathToFileURL(join(ROOT, "packages/llm/dist/index.js")).href;

const endpoint = (baseURL: string): LlmEndpoint => ({
  id: "main",
  baseURL,
  model: "claim-model",
  price: { inputPerMTok: 2, outputPerMTok: 10 },
  concurrency: 4,
  timeoutMs: 60_000,
  maxRetries: 0,
});

const request = (prompt: string): LlmCompletionRequest => ({
  endpointId: "main",
  role: "serving",
  messages: [{ role: "user", content: prompt }],
  temperature: 0,
  seed: 1,
});

const value = (content: string): CachedCompletion => ({ content, finishReason: "stop", usage: { promptTokens: 10, completionTokens: 2 } });

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function chatCompletion(content: string) {
  return {
    id: "chatcmpl-claim",
    object: "chat.completion",
    created: 0,
    model: "claim-model",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
  };
}

/** An OpenAI-compatible endpoint as a fetch, counting calls and answering each once `gate` opens. */
function countingFetch(gate: Promise<void> = Promise.resolve()) {
  const state = { calls: 0, entered: deferred() };
  const fetchFn = async (_input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    state.calls++;
    state.entered.resolve();
    const body = JSON.parse(String(init?.body)) as { messages: { content: string }[] };
    await gate;
    return new Response(JSON.stringify(chatCompletion(`answer ${state.calls} to ${body.messages.at(-1)?.content}`)), {
      headers: { "content-type": "application/json" },
    });
  };
  return { fetch: fetchFn as typeof fetch, state };
}

function clientOn(cache: ResponseCache, fetchFn: typeof fetch, events: LlmEvent[] = []): LlmClient {
  return new LlmClient({
    endpoints: [endpoint("http://llm.test/v1")],
    env: {},
    fetchFor: () => fetchFn,
    cache,
    onEvent: (e) => events.push(e),
  });
}

/** A cache that reports each claim's outcome, to know for sure that a client waited on another's claim. */
function observedCache(inner: KvResponseCache) {
  const outcomes: boolean[] = [];
  const claimed = deferred<boolean>();
  const cache: ResponseCache = {
    get: (key) => inner.get(key),
    set: (key, v) => inner.set(key, v),
    claim: async (key, ttlMs) => {
      const claim = await inner.claim(key, ttlMs);
      outcomes.push(claim.owner);
      claimed.resolve(claim.owner);
      return claim;
    },
  };
  return { cache, outcomes, claimed: claimed.promise };
}

describe("KvResponseCache claims, clients on separate NATS connections", () => {
  let server: NatsServer;
  let ncA: NatsConnection;
  let ncB: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer();
    [ncA, ncB] = await Promise.all([connect({ servers: server.url }), connect({ servers: server.url })]);
  });

  afterAll(async () => {
    await Promise.all([ncA?.close(), ncB?.close()]);
    await server?.dispose();
  });

  it("gives the first claim to one connection; the other waits and gets the value the owner stored before releasing", async () => {
    const bucket = "claim_handover";
    const [a, b] = await Promise.all([KvResponseCache.open(ncA, { bucket }), KvResponseCache.open(ncB, { bucket })]);
    const first = await a.claim("aa11", 10_000);
    const second = await b.claim("aa11", 10_000);
    if (!first.owner || second.owner) throw new Error(`expected owner then waiter, got ${first.owner} then ${second.owner}`);
    const waited = second.wait(new AbortController().signal);
    await a.set("aa11", value("stored by a"));
    await first.release();
    expect(await waited).toEqual(value("stored by a"));
    expect((await b.claim("aa11", 10_000)).owner).toBe(true);
  });

  it("ends a waiter's wait with undefined when the owner releases without storing a value", async () => {
    const bucket = "claim_no_value";
    const [a, b] = await Promise.all([KvResponseCache.open(ncA, { bucket }), KvResponseCache.open(ncB, { bucket })]);
    const first = await a.claim("bb22", 10_000);
    const second = await b.claim("bb22", 10_000);
    if (!first.owner || second.owner) throw new Error("expected owner then waiter");
    const waited = second.wait(new AbortController().signal);
    await first.release();
    expect(await waited).toBeUndefined();
  });

  it("keeps an owner's claim alive past its ttl by renewing it while the owner works", async () => {
    const bucket = "claim_renewed";
    const [a, b] = await Promise.all([KvResponseCache.open(ncA, { bucket }), KvResponseCache.open(ncB, { bucket })]);
    const first = await a.claim("cc33", 150);
    const second = await b.claim("cc33", 150);
    if (!first.owner || second.owner) throw new Error("expected owner then waiter");
    const waited = second.wait(new AbortController().signal);
    // Four ttls of work: without renewals the waiter would see the claim expire and get undefined.
    await sleep(600);
    await a.set("cc33", value("slow but alive"));
    await first.release();
    expect(await waited).toEqual(value("slow but alive"));
    expect(a.claimTroubles).toBe(0);
  });

  it("rejects a waiter's wait with its signal's reason when the signal aborts", async () => {
    const bucket = "claim_abort";
    const [a, b] = await Promise.all([KvResponseCache.open(ncA, { bucket }), KvResponseCache.open(ncB, { bucket })]);
    const first = await a.claim("dd44", 10_000);
    const second = await b.claim("dd44", 10_000);
    if (!first.owner || second.owner) throw new Error("expected owner then waiter");
    const controller = new AbortController();
    const waited = second.wait(controller.signal);
    controller.abort(new Error("task cancelled"));
    await expect(waited).rejects.toThrow("task cancelled");
    await first.release();
  });

  it("rejects a claim ttl that is not a positive whole number of ms, naming it", async () => {
    const cache = await KvResponseCache.open(ncA, { bucket: "claim_bad_ttl" });
    await expect(cache.claim("ee55", 0)).rejects.toThrow(/ttlMs/);
  });

  it("makes one network call for the same request sent at once by two clients, and the waiter counts a cache hit", async () => {
    const bucket = "claim_two_clients";
    const gate = deferred();
    const endpointFetch = countingFetch(gate.promise);
    const [kvA, kvB] = await Promise.all([KvResponseCache.open(ncA, { bucket }), KvResponseCache.open(ncB, { bucket })]);
    const eventsB: LlmEvent[] = [];
    const observedB = observedCache(kvB);
    const clientA = clientOn(kvA, endpointFetch.fetch);
    const clientB = clientOn(observedB.cache, endpointFetch.fetch, eventsB);

    const pendingA = clientA.complete(request("2+2"));
    await endpointFetch.state.entered.promise;
    const pendingB = clientB.complete(request("2+2"));
    // B has missed and found A's claim: only now may A's call answer.
    expect(await observedB.claimed).toBe(false);
    gate.resolve();
    const [a, b] = await Promise.all([pendingA, pendingB]);

    expect(endpointFetch.state.calls).toBe(1);
    expect(b.content).toBe(a.content);
    expect([a.cached, b.cached]).toEqual([false, true]);
    expect(clientA.accounting.totals()).toMatchObject({ calls: 1, cacheHits: 0 });
    expect(clientB.accounting.totals()).toMatchObject({ calls: 0, cacheHits: 1, promptTokens: 0, costUsd: 0 });
    expect(eventsB.map((e) => e.type)).toEqual(["cache-hit"]);
  });

  it("takes over a claim whose owner's connection closed without releasing it, once its ttl passed, and completes the request", async () => {
    const bucket = "claim_dead_owner";
    const ncDead = await connect({ servers: server.url });
    const dying = await KvResponseCache.open(ncDead, { bucket });
    const key = completionCacheKey(endpoint("http://llm.test/v1"), request("3+3"));
    const orphan = await dying.claim(key, 300);
    if (!orphan.owner) throw new Error("expected the dying connection to own the claim");
    await ncDead.close();

    const endpointFetch = countingFetch();
    const observedB = observedCache(await KvResponseCache.open(ncB, { bucket }));
    const clientB = clientOn(observedB.cache, endpointFetch.fetch);
    const result = await clientB.complete(request("3+3"));

    expect(result).toMatchObject({ content: "answer 1 to 3+3", cached: false });
    expect(observedB.outcomes).toEqual([false, true]);
    expect(endpointFetch.state.calls).toBe(1);
    // The dead owner's late release finds its claim taken over and leaves the new owner's alone.
    await orphan.release();
  });
});

/** An OpenAI-compatible HTTP endpoint for child processes; `hold(n)` decides whether the n-th call (from 1) waits for `open()`. */
async function startCountingEndpoint(hold: (call: number) => "gate" | "never" | "answer") {
  let calls = 0;
  const gate = deferred();
  const firstCall = deferred();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const call = ++calls;
      firstCall.resolve();
      const prompt = (JSON.parse(body) as { messages: { content: string }[] }).messages.at(-1)?.content ?? "";
      const answer = () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(chatCompletion(`answer ${call} to ${prompt}`)));
      };
      const mode = hold(call);
      if (mode === "answer") answer();
      else if (mode === "gate") void gate.promise.then(answer);
      // "never": the caller dies waiting.
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls: () => calls,
    firstCall: firstCall.promise,
    open: () => gate.resolve(),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** One process: open the shared cache, send one request, print each claim's outcome and the result as JSON lines. */
const CHILD = `
import { connect } from "@nats-io/transport-node";
import { KvResponseCache } from ${JSON.stringify(CLUSTER_DIST)};
import { LlmClient } from ${JSON.stringify(LLM_DIST)};
const env = process.env;
const nc = await connect({ servers: env.NATS_URL });
const kv = await KvResponseCache.open(nc, { bucket: env.BUCKET });
const cache = {
  get: (k) => kv.get(k),
  set: (k, v) => kv.set(k, v),
  claim: async (k, ttl) => {
    const c = await kv.claim(k, ttl);
    console.log(JSON.stringify({ event: "claimed", owner: c.owner }));
    return c;
  },
};
const endpoint = { ...${JSON.stringify(endpoint("http://placeholder/v1"))}, baseURL: env.LLM_URL };
const llm = new LlmClient({ endpoints: [endpoint], env: {}, cache, claimTtlMs: Number(env.CLAIM_TTL_MS) });
const result = await llm.complete({ ...${JSON.stringify(request("placeholder"))}, messages: [{ role: "user", content: env.PROMPT }] });
console.log(JSON.stringify({ event: "done", content: result.content, cached: result.cached, totals: llm.accounting.totals() }));
await nc.close();
`;

interface Child {
  proc: ChildProcess;
  lines: () => Record<string, unknown>[];
  /** Resolves with the first JSON line `match` accepts; rejects if the process exits first. */
  line: (match: (l: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  output: () => string;
}

const children = new Set<ChildProcess>();

function spawnChild(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ["--input-type=module", "-e", CHILD], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(proc);
  let text = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const l of [...listeners]) l();
  };
  proc.stdout?.on("data", onData);
  proc.stderr?.on("data", onData);
  const exited = new Promise<number | null>((r) =>
    proc.once("exit", (code) => {
      children.delete(proc);
      for (const l of [...listeners]) l();
      r(code);
    }),
  );
  const lines = () =>
    text
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    proc,
    lines,
    exited,
    output: () => text,
    line: (match) =>
      new Promise((res, rej) => {
        const check = () => {
          const found = lines().find(match);
          if (found) {
            listeners.delete(check);
            res(found);
          } else if (proc.exitCode !== null || proc.signalCode !== null) {
            listeners.delete(check);
            rej(new Error(`child exited before the expected line; its output:\n${text}`));
          }
        };
        listeners.add(check);
        check();
      }),
  };
}

describe("KvResponseCache claims between OS processes", () => {
  let server: NatsServer;

  beforeAll(async () => {
    server = await startNatsServer();
  });

  afterAll(async () => {
    for (const proc of children) proc.kill("SIGKILL");
    await server?.dispose();
  });

  it("two processes sending the same request at once make one HTTP call; the waiting one is answered from the cache", async () => {
    const llm = await startCountingEndpoint(() => "gate");
    try {
      const env = { NATS_URL: server.url, BUCKET: "claim_processes", LLM_URL: llm.url, CLAIM_TTL_MS: "30000", PROMPT: "7*6" };
      const [p, q] = [spawnChild(env), spawnChild(env)];
      const isClaim = (l: Record<string, unknown>) => l["event"] === "claimed";
      const claims = await Promise.all([p.line(isClaim), q.line(isClaim)]);
      // Both have claimed, one of them waits: only now may the owner's call answer.
      expect(claims.map((c) => c["owner"]).sort()).toEqual([false, true]);
      llm.open();
      expect(await Promise.all([p.exited, q.exited]), p.output() + q.output()).toEqual([0, 0]);

      expect(llm.calls()).toBe(1);
      const done = [p, q].map((c) => c.lines().find((l) => l["event"] === "done"));
      expect(done.map((d) => d?.["content"])).toEqual(["answer 1 to 7*6", "answer 1 to 7*6"]);
      const waiter = done.find((d) => d?.["cached"] === true);
      expect(waiter?.["totals"]).toMatchObject({ calls: 0, cacheHits: 1, costUsd: 0 });
      expect(done.filter((d) => d?.["cached"] === false)).toHaveLength(1);
    } finally {
      await llm.close();
    }
  });

  it("a process killed mid-call holds a waiting process up only until its claim expires; the waiter then makes the call", async () => {
    const llm = await startCountingEndpoint((call) => (call === 1 ? "never" : "answer"));
    try {
      const env = { NATS_URL: server.url, BUCKET: "claim_killed", LLM_URL: llm.url, CLAIM_TTL_MS: "500", PROMPT: "9*9" };
      const owner = spawnChild(env);
      await llm.firstCall;
      const waiter = spawnChild(env);
      expect((await waiter.line((l) => l["event"] === "claimed"))["owner"]).toBe(false);
      owner.proc.kill("SIGKILL");

      expect(await waiter.exited, waiter.output()).toBe(0);
      expect(
        waiter
          .lines()
          .filter((l) => l["event"] === "claimed")
          .map((l) => l["owner"]),
      ).toEqual([false, true]);
      expect(waiter.lines().find((l) => l["event"] === "done")).toMatchObject({ content: "answer 2 to 9*9", cached: false });
      expect(llm.calls()).toBe(2);
    } finally {
      await llm.close();
    }
  });
});

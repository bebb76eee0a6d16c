import { describe, expect, it } from "vitest";
import type { ChatBackend } from "./chat-backend.js";
import { simFetch } from "./in-process-fetch.js";
import { parseServiceRealism } from "./service-realism.js";
import { createSimService, routeRequest, type ReplySink, type SimRequest } from "./sim-service.js";

/** A tiny deterministic responder: echoes the last message, upper-cased; `n` samples. */
const echo: ChatBackend = {
  name: "echo",
  modelIds: ["echo", "echo-large"],
  prepare(body) {
    const b = body as { model?: unknown; messages?: unknown; n?: unknown; stream?: unknown };
    const issues = [];
    if (typeof b.model !== "string") issues.push({ path: "model", expected: "string", found: String(b.model) });
    if (!Array.isArray(b.messages)) issues.push({ path: "messages", expected: "array", found: String(b.messages) });
    if (issues.length > 0) return { ok: false, issues };
    const last = (b.messages as Array<{ content: string }>).at(-1)?.content ?? "";
    const n = typeof b.n === "number" ? b.n : 1;
    return {
      ok: true,
      request: { model: b.model as string, stream: b.stream === true },
      simulate: () => ({
        choices: Array.from({ length: n }, (_, index) => ({
          index,
          content: `${last.toUpperCase()} #${index}`,
          finishReason: "stop" as const,
        })),
        usage: { prompt_tokens: 3, completion_tokens: 2 * n, total_tokens: 3 + 2 * n },
      }),
    };
  },
};

interface Recorded {
  status?: number;
  headers?: Record<string, string>;
  body: string;
  ended: boolean;
  abandoned: boolean;
}

function recorder(): { sink: ReplySink; got: Recorded } {
  const got: Recorded = { body: "", ended: false, abandoned: false };
  return {
    got,
    sink: {
      start(status, headers) {
        got.status = status;
        got.headers = headers;
      },
      write(data) {
        got.body += data;
      },
      end() {
        got.ended = true;
      },
      abandon() {
        got.abandoned = true;
      },
    },
  };
}

async function ask(service: ReturnType<typeof createSimService>, req: SimRequest, signal?: AbortSignal): Promise<Recorded> {
  const { sink, got } = recorder();
  await service.handle(req, sink, signal);
  return got;
}

const chat = (content: string) => JSON.stringify({ model: "anything", messages: [{ role: "user", content }] });

describe("the sim service", () => {
  it("answers a chat completion, with or without the /v1 prefix, identically", async () => {
    const service = createSimService({ backend: echo });
    const a = await ask(service, { method: "POST", path: "/v1/chat/completions", body: chat("hi") });
    const b = await ask(service, { method: "POST", path: "/chat/completions/?x=1", body: chat("hi") });
    expect(a.status).toBe(200);
    expect(a.body).toBe(b.body);
    expect(JSON.parse(a.body)).toMatchObject({
      object: "chat.completion",
      model: "anything",
      choices: [{ message: { content: "HI #0" } }],
    });
    expect(a.headers?.["content-length"]).toBe(String(Buffer.byteLength(a.body)));
  });

  it("lists the backend's models and finds or 404s a single model", async () => {
    const service = createSimService({ backend: echo });
    const list = await ask(service, { method: "GET", path: "/v1/models", body: "" });
    expect(JSON.parse(list.body)).toEqual({
      object: "list",
      data: [
        { id: "echo", object: "model", created: 1_700_000_000, owned_by: "simlm" },
        { id: "echo-large", object: "model", created: 1_700_000_000, owned_by: "simlm" },
      ],
    });
    expect((await ask(service, { method: "GET", path: "/v1/models/echo-large", body: "" })).status).toBe(200);
    const missing = await ask(service, { method: "GET", path: "/v1/models/gpt-9", body: "" });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ error: { code: "model_not_found", param: "model" } });
  });

  it("answers unknown routes 404 and wrong methods 405, in OpenAI's error shape", () => {
    const unknown = routeRequest(echo, { method: "GET", path: "/v1/embeddings", body: "" });
    const wrong = routeRequest(echo, { method: "GET", path: "/v1/chat/completions", body: "" });
    expect(unknown).toMatchObject({ kind: "plan", plan: { status: 404 } });
    expect(wrong).toMatchObject({ kind: "plan", plan: { status: 405, headers: { allow: "POST" } } });
    for (const r of [unknown, wrong]) {
      const plan = r.kind === "plan" && r.plan.kind === "send" ? r.plan : undefined;
      const body = JSON.parse(plan?.parts[0]?.data ?? "") as { error: Record<string, unknown> };
      expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
    }
  });

  it("answers a non-JSON body and an invalid body 400, naming every problem's path", async () => {
    const service = createSimService({ backend: echo });
    const notJson = await ask(service, { method: "POST", path: "/v1/chat/completions", body: "{oops" });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body)).toMatchObject({ error: { type: "invalid_request_error", code: "invalid_json" } });
    const invalid = await ask(service, { method: "POST", path: "/v1/chat/completions", body: "{}" });
    expect(invalid.status).toBe(400);
    const error = (JSON.parse(invalid.body) as { error: { message: string; param: string } }).error;
    expect(error.param).toBe("model");
    expect(error.message).toContain("model: expected string");
    expect(error.message).toContain("messages: expected array");
  });

  it("answers 429 with Retry-After beyond the concurrency cap, and admits again once a slot frees", async () => {
    const realism = parseServiceRealism({ maxConcurrency: 1, retryAfterMs: 2500, faults: { rateTimeout: 1, maxPerRequest: 99 } });
    const service = createSimService({ backend: echo, realism });
    const first = new AbortController();
    const held = ask(service, { method: "POST", path: "/v1/chat/completions", body: chat("a") }, first.signal);
    expect(service.inFlight).toBe(1);
    const rejected = await ask(service, { method: "POST", path: "/v1/chat/completions", body: chat("b") });
    expect(rejected.status).toBe(429);
    expect(rejected.headers).toMatchObject({ "retry-after": "3", "retry-after-ms": "2500" });
    expect(JSON.parse(rejected.body)).toMatchObject({ error: { code: "rate_limit_exceeded" } });
    first.abort();
    expect(await held).toMatchObject({ abandoned: true, ended: false });
    expect(service.inFlight).toBe(0);
    const second = new AbortController();
    const admitted = ask(service, { method: "POST", path: "/v1/chat/completions", body: chat("b") }, second.signal);
    expect(service.inFlight).toBe(1);
    second.abort();
    await admitted;
  });

  it("abandons held requests when closed", async () => {
    const service = createSimService({ backend: echo, realism: parseServiceRealism({ faults: { rateTimeout: 1 } }) });
    const held = ask(service, { method: "POST", path: "/v1/chat/completions", body: chat("a") });
    service.close();
    expect(await held).toMatchObject({ abandoned: true });
  });

  it("answers 500 and reports the error when the backend fails", async () => {
    const reported: unknown[] = [];
    const failing: ChatBackend = {
      ...echo,
      prepare: () => ({
        ok: true,
        request: { model: "m" },
        simulate: () => {
          throw new Error("boom");
        },
      }),
    };
    const service = createSimService({ backend: failing, onError: (e) => reported.push(e) });
    const got = await ask(service, { method: "POST", path: "/v1/chat/completions", body: chat("x") });
    expect(got.status).toBe(500);
    expect(JSON.parse(got.body)).toMatchObject({ error: { type: "server_error", message: expect.stringContaining("boom") as string } });
    expect(reported).toHaveLength(1);
  });
});

describe("the in-process fetch", () => {
  it("stops a delayed stream when its reader cancels the body, freeing the slot", async () => {
    const service = createSimService({ backend: echo, realism: parseServiceRealism({ latency: { perOutputTokenMs: 60_000 } }) });
    const response = await simFetch(service)("http://simlm.invalid/v1/chat/completions", {
      method: "POST",
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "a b c d" }], stream: true }),
    });
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    expect((await reader?.read())?.done).toBe(false);
    expect(service.inFlight).toBe(1);
    await reader?.cancel();
    while (service.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
    expect(service.inFlight).toBe(0);
  });

  it("rejects with an AbortError when aborted before the reply starts", async () => {
    const service = createSimService({ backend: echo, realism: parseServiceRealism({ faults: { rateTimeout: 1 } }) });
    const abort = new AbortController();
    const pending = simFetch(service)("http://simlm.invalid/v1/chat/completions", {
      method: "POST",
      body: chat("x"),
      signal: abort.signal,
    });
    abort.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });
});

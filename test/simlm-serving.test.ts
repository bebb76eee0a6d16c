// simlm's serving layer driven by the real `openai` SDK: the HTTP server and the in-process fetch
// answer byte-identically, repeat themselves, stream, fail in OpenAI's shape, and inject seeded faults.
import { buildAgentMessages, renderAgentPrompt } from "@maspo/core";
import {
  bundledWorldNames,
  createWorldService,
  generateDataset,
  IN_PROCESS_BASE_URL,
  listenSimServer,
  loadWorld,
  simFetch,
  type ServiceRealismInput,
  type SimHttpServer,
  type World,
} from "@maspo/simlm";
import OpenAI from "openai";
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const world: World = loadWorld("math-chain");
const examples = generateDataset(world).train;

/** An agent call laid out exactly as the executor sends it (docs/llm-protocol.md §1). */
function agentCall(exampleIndex: number, seed = 1): ChatCompletionCreateParamsNonStreaming {
  const agent = world.agents[0];
  const example = examples[exampleIndex % examples.length];
  if (!agent || !example) throw new Error("math-chain has no agents or examples");
  return {
    model: world.name,
    messages: buildAgentMessages(renderAgentPrompt(agent.prompt), example.input, []),
    temperature: 0,
    seed,
  };
}

interface Transport {
  name: string;
  client(options?: { maxRetries?: number; timeout?: number }): OpenAI;
  close(): Promise<void>;
}

async function httpTransport(realism?: ServiceRealismInput): Promise<Transport & { server: SimHttpServer }> {
  const server = await listenSimServer(createWorldService({ world, realism }));
  return {
    name: "http",
    server,
    client: (o = {}) => new OpenAI({ baseURL: server.url, apiKey: "sk-test", maxRetries: o.maxRetries ?? 0, timeout: o.timeout ?? 30_000 }),
    close: () => server.close(),
  };
}

function inProcessTransport(realism?: ServiceRealismInput): Transport {
  const service = createWorldService({ world, realism });
  const fetch = simFetch(service);
  return {
    name: "in-process",
    client: (o = {}) =>
      new OpenAI({ baseURL: IN_PROCESS_BASE_URL, apiKey: "sk-test", fetch, maxRetries: o.maxRetries ?? 0, timeout: o.timeout ?? 30_000 }),
    close: () => {
      service.close();
      return Promise.resolve();
    },
  };
}

/** The raw response body text of a non-streamed completion. */
async function rawCompletion(client: OpenAI, params: ChatCompletionCreateParamsNonStreaming): Promise<string> {
  const response = await client.chat.completions.create(params).asResponse();
  return response.text();
}

describe("simlm over the openai SDK: HTTP server vs in-process fetch", () => {
  let http: Transport & { server: SimHttpServer };
  let local: Transport;
  beforeAll(async () => {
    http = await httpTransport();
    local = inProcessTransport();
  });
  afterAll(async () => {
    await http.close();
    await local.close();
  });

  it("answers byte-identical completions over HTTP and in process, for agent, sampled and JSON-mode calls", async () => {
    const calls: ChatCompletionCreateParamsNonStreaming[] = [
      agentCall(0),
      { ...agentCall(1), n: 3, temperature: 0.7 },
      { ...agentCall(2), response_format: { type: "json_object" }, max_tokens: 5 },
    ];
    for (const params of calls) {
      const overHttp = await rawCompletion(http.client(), params);
      const inProcess = await rawCompletion(local.client(), params);
      expect(inProcess).toBe(overHttp);
      const parsed = await local.client().chat.completions.create(params);
      expect(JSON.stringify(parsed)).toBe(JSON.stringify(await http.client().chat.completions.create(params)));
      expect(parsed.choices).toHaveLength(params.n ?? 1);
      expect(parsed.usage?.total_tokens).toBe((parsed.usage?.prompt_tokens ?? 0) + (parsed.usage?.completion_tokens ?? 0));
      expect(parsed.usage?.completion_tokens).toBeGreaterThan(0);
    }
  });

  it("answers a repeated request with the same bytes, and a request with another seed differently", async () => {
    const first = await rawCompletion(http.client(), { ...agentCall(3), n: 2, temperature: 1 });
    expect(await rawCompletion(http.client(), { ...agentCall(3), n: 2, temperature: 1 })).toBe(first);
    expect(await rawCompletion(local.client(), { ...agentCall(3), n: 2, temperature: 1 })).toBe(first);
    const other = await rawCompletion(http.client(), { ...agentCall(3, 2), n: 2, temperature: 1 });
    expect(JSON.parse(other)).not.toMatchObject({ id: (JSON.parse(first) as { id: string }).id });
  });

  it("truncates at max_tokens with finish_reason length", async () => {
    const completion = await local.client().chat.completions.create({ ...agentCall(4), max_tokens: 2 });
    expect(completion.choices[0]?.finish_reason).toBe("length");
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(2);
  });

  it("streams through the SDK the same content, finish reason and usage as the whole completion, identically on both transports", async () => {
    const params = { ...agentCall(5), n: 2, temperature: 0.7 };
    const whole = await local.client().chat.completions.create(params);
    const streamedBodies: string[] = [];
    for (const transport of [http, local]) {
      const stream = await transport.client().chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
      const content = ["", ""];
      const finish: Array<string | null> = [null, null];
      let usage: unknown;
      const ids = new Set<string>();
      for await (const chunk of stream) {
        ids.add(chunk.id);
        for (const choice of chunk.choices) {
          content[choice.index] += choice.delta.content ?? "";
          finish[choice.index] = choice.finish_reason ?? finish[choice.index] ?? null;
        }
        if (chunk.usage) usage = chunk.usage;
      }
      expect(content).toEqual(whole.choices.map((c) => c.message.content));
      expect(finish).toEqual(whole.choices.map((c) => c.finish_reason));
      expect(usage).toEqual(whole.usage);
      expect([...ids]).toEqual([expect.stringMatching(/^chatcmpl-/) as string]);
      const raw = await transport
        .client()
        .chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } })
        .asResponse();
      expect(raw.headers.get("content-type")).toMatch(/^text\/event-stream/);
      streamedBodies.push(await raw.text());
    }
    expect(streamedBodies[1]).toBe(streamedBodies[0]);
    expect(streamedBodies[0]?.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("lists the world as a model, retrieves it, and answers an unknown model id with NotFoundError", async () => {
    for (const transport of [http, local]) {
      const client = transport.client();
      const models = [];
      for await (const model of client.models.list()) models.push(model.id);
      expect(models).toEqual([world.name]);
      expect((await client.models.retrieve(world.name)).owned_by).toBe("simlm");
      const missing = await client.models.retrieve("gpt-nonexistent").catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
      expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
    }
  });

  it("answers an invalid body with BadRequestError naming every bad field", async () => {
    for (const transport of [http, local]) {
      const error = await transport
        .client()
        .chat.completions.create({ model: world.name, messages: [], temperature: 7, n: 0 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
      expect(bad.status).toBe(400);
      expect(bad.type).toBe("invalid_request_error");
      for (const field of ["messages", "temperature", "n"]) expect(bad.message).toContain(`${field}:`);
    }
  });
});

describe("every bundled world over the openai SDK", () => {
  it("answers each world's agent calls byte-identically over HTTP and in process", async () => {
    expect(bundledWorldNames()).toEqual(expect.arrayContaining(["code-pipeline", "hier-research", "math-chain"]));
    for (const name of bundledWorldNames()) {
      const w = loadWorld(name);
      const example = generateDataset(w).heldOut[0];
      if (!example) throw new Error(`${name} has no held-out example`);
      const server = await listenSimServer(createWorldService({ world: w }));
      const local = new OpenAI({
        baseURL: IN_PROCESS_BASE_URL,
        apiKey: "sk-test",
        fetch: simFetch(createWorldService({ world: w })),
        maxRetries: 0,
      });
      const remote = new OpenAI({ baseURL: server.url, apiKey: "sk-test", maxRetries: 0 });
      for (const agent of w.agents) {
        const params = {
          model: name,
          messages: buildAgentMessages(renderAgentPrompt(agent.prompt), example.input, []),
          temperature: 0,
          seed: 3,
        };
        const body = await rawCompletion(remote, params);
        expect(await rawCompletion(local, params)).toBe(body);
        expect((JSON.parse(body) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content).not.toBe("");
      }
      await server.close();
    }
  });
});

type Outcome = "ok" | "429" | "500" | "timeout" | "malformed" | `other: ${string}`;

function classify(error: unknown): Outcome {
  if (error instanceof OpenAI.RateLimitError) return "429";
  if (error instanceof OpenAI.InternalServerError) return "500";
  if (error instanceof OpenAI.APIConnectionTimeoutError) return "timeout";
  if (error instanceof SyntaxError) return "malformed";
  return `other: ${error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)}`;
}

/** Send `count` distinct requests (`batch` at a time) and record how each one ended. */
async function outcomes(transport: Transport, count: number): Promise<Outcome[]> {
  // The timeout only bounds how long a held (timeout-fault) request is waited for; it is generous so
  // a slow machine never turns a normal reply into a timeout.
  const client = transport.client({ maxRetries: 0, timeout: 1500 });
  const out: Outcome[] = [];
  const batch = 100;
  for (let start = 0; start < count; start += batch) {
    const results = await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, (_, k) =>
        client.chat.completions.create(agentCall(start + k, 1000 + start + k)).then(
          (): Outcome => "ok",
          (e: unknown) => classify(e),
        ),
      ),
    );
    out.push(...results);
  }
  return out;
}

const tenPercentEach: ServiceRealismInput = {
  faults: { rate429: 0.1, rate500: 0.1, rateTimeout: 0.1, rateMalformed: 0.1, seed: 42 },
};

describe("simlm service realism through the openai SDK", () => {
  it("injects 429, 500, timeouts and malformed bodies at about 10% each, and replays them identically", async () => {
    const count = 200;
    const first = await httpTransport(tenPercentEach);
    const firstRun = await outcomes(first, count);
    await first.close();

    const tally = (runs: Outcome[]) =>
      Object.fromEntries(["ok", "429", "500", "timeout", "malformed"].map((k) => [k, runs.filter((o) => o === k).length]));
    expect(firstRun.filter((o) => o.startsWith("other"))).toEqual([]);
    const counts = tally(firstRun);
    for (const kind of ["429", "500", "timeout", "malformed"]) {
      expect(counts[kind]).toBeGreaterThanOrEqual(6);
      expect(counts[kind]).toBeLessThanOrEqual(40);
    }
    expect(counts.ok).toBeGreaterThanOrEqual(90);

    const replay = await httpTransport(tenPercentEach);
    expect(await outcomes(replay, count)).toEqual(firstRun);
    await replay.close();

    const local = inProcessTransport(tenPercentEach);
    expect(await outcomes(local, count)).toEqual(firstRun);
    await local.close();
  });

  it("gets a faulted request through on retry, honouring retry-after, with the fault-free answer", async () => {
    const clean = inProcessTransport();
    const expected = await rawCompletion(clean.client(), agentCall(7));
    const flaky = inProcessTransport({ retryAfterMs: 1, faults: { rate429: 1, maxPerRequest: 2 } });
    expect(
      classify(
        await flaky
          .client({ maxRetries: 0 })
          .chat.completions.create(agentCall(8))
          .catch((e: unknown) => e),
      ),
    ).toBe("429");
    expect(await rawCompletion(flaky.client({ maxRetries: 2 }), agentCall(7))).toBe(expected);
    await flaky.close();
    await clean.close();
  });

  it("answers 429 with Retry-After and retry-after-ms beyond the concurrency cap over HTTP", async () => {
    const http = await httpTransport({ maxConcurrency: 1, retryAfterMs: 1200, faults: { rateTimeout: 1, maxPerRequest: 10 } });
    const holder = new AbortController();
    const held = fetch(`${http.server.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(agentCall(9)),
      signal: holder.signal,
    }).catch((e: unknown) => e);
    while (http.server.service.inFlight < 1) await new Promise((r) => setTimeout(r, 5));
    const rejected = await fetch(`${http.server.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(agentCall(10)),
    });
    expect(rejected.status).toBe(429);
    expect(rejected.headers.get("retry-after")).toBe("2");
    expect(rejected.headers.get("retry-after-ms")).toBe("1200");
    expect(await rejected.json()).toMatchObject({ error: { type: "requests", code: "rate_limit_exceeded", param: null } });
    holder.abort();
    expect(await held).toBeInstanceOf(Error);
    await http.close();
  });
});

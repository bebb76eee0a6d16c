import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildAgentMessages } from "@maspo/core";
import { afterEach, describe, expect, it } from "vitest";
import { oracle } from "../oracle/oracle.js";
import { generateDataset } from "../world/dataset.js";
import { loadWorld } from "../world/world-load.js";
import { startSimServer, type SimHttpServer } from "./http-server.js";
import { openRequestLog, RequestLogError } from "./request-log.js";

const world = loadWorld("math-chain");
const o = oracle(world);
const example = generateDataset(world).train[0];
if (!example) throw new Error("math-chain has no train example");
const SECRET = "sk-test-never-logged-3141";

describe("the request log (sim serve --log-requests)", () => {
  let server: SimHttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function post(body: unknown): Promise<number> {
    const res = await fetch(`${server?.url ?? ""}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${SECRET}` },
      body: JSON.stringify(body),
    });
    await res.text();
    return res.status;
  }

  it("writes one JSON line per accepted request: its model, its messages and simlm's reading, never a header", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "simlm-log-")), "requests.jsonl");
    const log = openRequestLog(file);
    server = await startSimServer({ world, logRequest: (entry) => log.write(entry) });
    const agentCall = {
      model: "math-chain",
      seed: 3,
      user: "someone",
      messages: buildAgentMessages(o.best.solver ?? "", example.input, [{ agentId: "planner", output: "Quantities: 3 marbles" }]),
    };
    const judgeCall = {
      model: "judge-model",
      response_format: { type: "json_object" },
      messages: [
        { role: "system", content: "You are an impartial judge comparing two responses. Which final answer is better?" },
        { role: "user", content: `## Task\n${example.input}\n\n## Response A\nAnswer: 1\n\n## Response B\nAnswer: 2` },
      ],
    };
    expect(await post(agentCall)).toBe(200);
    expect(await post(judgeCall)).toBe(200);
    expect(await post({ model: "", messages: [] })).toBe(400);
    log.close();

    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(SECRET);
    expect(text.toLowerCase()).not.toContain("authorization");
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    const [agent, judge] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(agent ?? {}).sort()).toEqual(["messages", "model", "reading"]);
    expect(agent).toMatchObject({
      model: "math-chain",
      messages: agentCall.messages,
      reading: {
        role: "agent",
        agent: {
          agent: "solver",
          layout: "sections",
          task: example.input,
          problemKnown: true,
          upstream: [{ label: "Output of planner", features: ["quantities"] }],
          demos: 0,
        },
      },
    });
    expect((agent?.reading as { agent: { directives: string[] } }).agent.directives.length).toBeGreaterThan(0);
    expect(judge).toMatchObject({
      model: "judge-model",
      messages: judgeCall.messages,
      reading: { role: "judge", judge: { problemKnown: true } },
    });
    expect(Object.keys(judge ?? {}).sort()).toEqual(["messages", "model", "reading"]);
  });

  it("refuses a path it cannot open with E_SIMLM_LOG, naming the file", () => {
    const missing = join(mkdtempSync(join(tmpdir(), "simlm-log-")), "no-such-dir", "requests.jsonl");
    let thrown: unknown;
    try {
      openRequestLog(missing);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RequestLogError);
    expect(thrown).toMatchObject({ code: "E_SIMLM_LOG" });
    expect((thrown as Error).message).toMatch(/could not open the request log .*no-such-dir/);
  });
});

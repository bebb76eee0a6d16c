// `maspo sim serve` and `maspo sim oracle`: in process through a commander program, and `sim serve`
// as separate processes (the built CLI command) that answer the same bytes as each other and as the
// in-process fetch, and stop gracefully on SIGTERM.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildAgentMessages, renderAgentPrompt } from "@maspo/core";
import { registerSimCommands } from "@maspo/cli";
import { createSimFetch, generateDataset, IN_PROCESS_BASE_URL, loadWorld, oracle } from "@maspo/simlm";
import { Command } from "commander";
import { afterEach, describe, expect, it } from "vitest";

const world = loadWorld("math-chain");
const example = generateDataset(world).train[0];
const planner = world.agents[0];
if (!example || !planner) throw new Error("math-chain has no example or agent");
const chatBody = JSON.stringify({
  model: world.name,
  messages: buildAgentMessages(renderAgentPrompt(planner.prompt), example.input, []),
  temperature: 0,
  seed: 11,
});

function program(stop?: AbortSignal): { run: (args: string[]) => Promise<void>; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const p = new Command("maspo").exitOverride();
  p.configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (err += t) });
  registerSimCommands(p, { out: (t) => (out += t), err: (t) => (err += t), ...(stop ? { stop } : {}) });
  return { run: async (args) => void (await p.parseAsync(args, { from: "user" })), out: () => out, err: () => err };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

/** GET or POST with curl when the machine has it (as the README shows), else node's fetch. */
async function httpGetOrPost(url: string, body?: string): Promise<{ status: number; text: string }> {
  if (spawnSync("curl", ["--version"]).status === 0) {
    const args = ["-s", "-w", "\n%{http_code}", url];
    if (body !== undefined) args.push("-H", "content-type: application/json", "-d", body);
    const child = spawn("curl", args);
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
    const cut = text.lastIndexOf("\n");
    return { status: Number(text.slice(cut + 1)), text: text.slice(0, cut) };
  }
  const res = await fetch(url, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body });
  return { status: res.status, text: await res.text() };
}

describe("maspo sim oracle", () => {
  it("prints exactly floor, ceiling and the best prompt set per agent with --json", async () => {
    const cli = program();
    await cli.run(["sim", "oracle", "--world", "math-chain", "--json"]);
    const printed = JSON.parse(cli.out()) as Record<string, unknown>;
    expect(Object.keys(printed).sort()).toEqual(["best", "ceiling", "floor"]);
    const expected = oracle(world);
    expect(printed).toEqual({ floor: expected.floor, ceiling: expected.ceiling, best: expected.best });
    expect(Object.keys(expected.best).sort()).toEqual(world.agents.map((a) => a.id).sort());
  });

  it("prints floor, ceiling and every agent's best prompt for people", async () => {
    const cli = program();
    await cli.run(["sim", "oracle", "--world", "math-chain"]);
    const expected = oracle(world);
    expect(cli.out()).toContain(`floor    ${expected.floor.toFixed(3)}`);
    expect(cli.out()).toContain(`ceiling  ${expected.ceiling.toFixed(3)}`);
    for (const agent of world.agents) expect(cli.out()).toContain(`--- ${agent.id} ---`);
  });

  it("names the world that could not be found", async () => {
    const cli = program();
    await expect(cli.run(["sim", "oracle", "--world", "no-such-world"])).rejects.toThrow(/no-such-world/);
  });
});

describe("maspo sim serve", () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  });

  it("serves /v1/models and chat completions to curl until stopped, then closes", async () => {
    const stop = new AbortController();
    const cli = program(stop.signal);
    const serving = cli.run(["sim", "serve", "--world", "math-chain", "--port", "0"]);
    await until(() => /http:\/\/\S+\/v1/.test(cli.out()));
    const url = /(http:\/\/\S+\/v1)/.exec(cli.out())?.[1] ?? "";

    const models = await httpGetOrPost(`${url}/models`);
    expect(models.status).toBe(200);
    expect(JSON.parse(models.text)).toMatchObject({ object: "list", data: [{ id: "math-chain", object: "model" }] });

    const completion = await httpGetOrPost(`${url}/chat/completions`, chatBody);
    expect(completion.status).toBe(200);
    const inProcess = await createSimFetch({ world })(`${IN_PROCESS_BASE_URL}/chat/completions`, { method: "POST", body: chatBody });
    expect(completion.text).toBe(await inProcess.text());

    stop.abort();
    await serving;
    expect(cli.out()).toMatch(/simlm stopped/);
    await expect(fetch(`${url}/models`)).rejects.toThrow();
  });

  it("logs every chat request with --log-requests: model, messages and simlm's reading, without the Authorization header", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "maspo-sim-log-")), "requests.jsonl");
    const stop = new AbortController();
    const cli = program(stop.signal);
    const serving = cli.run(["sim", "serve", "--world", "math-chain", "--port", "0", "--log-requests", file]);
    await until(() => /http:\/\/\S+\/v1/.test(cli.out()));
    const url = /(http:\/\/\S+\/v1)/.exec(cli.out())?.[1] ?? "";
    expect(cli.out()).toContain(`logging every chat request to ${file}`);
    // A predecessor's output as a `Field: value` line, the way Ax writes an agent call.
    const solver = world.agents.find((a) => a.id === "solver");
    if (!solver) throw new Error("math-chain has no solver");
    const fieldsBody = {
      model: world.name,
      seed: 2,
      messages: [
        { role: "system", content: renderAgentPrompt(solver.prompt) },
        { role: "user", content: `Question: ${example.input}\nPlanner Output: Quantities: the numbers in the problem` },
      ],
    };
    for (const body of [chatBody, JSON.stringify(fieldsBody)]) {
      const res = await fetch(`${url}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer sk-cli-secret-2718" },
        body,
      });
      expect(res.status).toBe(200);
      await res.text();
    }
    stop.abort();
    await serving;
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("sk-cli-secret-2718");
    const lines = text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { model: string; messages: unknown; reading: { role: string; agent?: Record<string, unknown> } });
    expect(lines.map((l) => [l.model, l.reading.role, l.reading.agent?.agent, l.reading.agent?.layout])).toEqual([
      ["math-chain", "agent", "planner", "sections"],
      ["math-chain", "agent", "solver", "fields"],
    ]);
    expect(lines[0]?.messages).toEqual((JSON.parse(chatBody) as { messages: unknown }).messages);
    expect(lines[1]?.reading.agent).toMatchObject({
      task: example.input,
      upstream: [{ label: "Planner Output", features: ["quantities"] }],
    });
  });

  it("refuses a fault rate above 1, naming the flag", async () => {
    const cli = program();
    await expect(cli.run(["sim", "serve", "--world", "math-chain", "--fault-429", "2"])).rejects.toThrow(/--fault-429/);
    expect(cli.err()).toMatch(/between 0 and 1.*found "2"/);
  });

  it("refuses realism flags whose fault rates sum past 1", async () => {
    const cli = program();
    await expect(cli.run(["sim", "serve", "--world", "math-chain", "--fault-429", "0.6", "--fault-500", "0.6"])).rejects.toThrow(
      /sum to at most 1/,
    );
  });

  it("answers the same bytes from two separate server processes, and stops each on SIGTERM", async () => {
    // The installed command itself, as a user runs it.
    const script = fileURLToPath(new URL("../packages/cli/bin/maspo.js", import.meta.url));
    const built = fileURLToPath(new URL("../packages/cli/dist/main.js", import.meta.url));
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`npx tsc -b\` before the cross-process tests`);

    const start = async (): Promise<{ child: ChildProcess; url: string; output: () => string }> => {
      const child = spawn(process.execPath, [script, "sim", "serve", "--world", "math-chain", "--port", "0"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.push(child);
      let output = "";
      child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
      await until(() => /http:\/\/\S+\/v1/.test(output) || child.exitCode !== null);
      const url = /(http:\/\/\S+\/v1)/.exec(output)?.[1];
      if (!url) throw new Error(`sim serve did not start:\n${output}`);
      return { child, url, output: () => output };
    };
    const [a, b] = await Promise.all([start(), start()]);
    const fromA = await httpGetOrPost(`${a.url}/chat/completions`, chatBody);
    const fromB = await httpGetOrPost(`${b.url}/chat/completions`, chatBody);
    expect(fromA.status).toBe(200);
    expect(fromB.text).toBe(fromA.text);
    const inProcess = await createSimFetch({ world })(`${IN_PROCESS_BASE_URL}/chat/completions`, { method: "POST", body: chatBody });
    expect(await inProcess.text()).toBe(fromA.text);

    for (const server of [a, b]) {
      const exited = new Promise<number | null>((resolve) => server.child.on("exit", (code) => resolve(code)));
      server.child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(server.output()).toContain("simlm stopped (SIGTERM)");
    }
  });
});

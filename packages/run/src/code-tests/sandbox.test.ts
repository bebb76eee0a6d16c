import { spawn } from "node:child_process";
import { type AddressInfo, type Server, createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SandboxRequest, inNetworkNamespace, networkIsolation, runTestsInSandbox } from "./sandbox.js";

const python = (code: string, tests: string[], extra: Partial<SandboxRequest> = {}): SandboxRequest => ({
  language: "python",
  code,
  tests,
  timeoutMs: 5000,
  memoryMb: 256,
  ...extra,
});
const javascript = (code: string, tests: string[], extra: Partial<SandboxRequest> = {}): SandboxRequest => ({
  language: "javascript",
  code,
  tests,
  timeoutMs: 8000,
  memoryMb: 128,
  ...extra,
});

/** A TCP server on loopback that counts the connections it accepts: what a leak would reach. */
let server: Server;
let port = 0;
let accepted = 0;
beforeAll(async () => {
  server = createServer((socket) => {
    accepted++;
    socket.end("hello\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("the code sandbox, Python", () => {
  it("passes a correct solution's tests and fails a wrong one's, test by test", async () => {
    const r = await runTestsInSandbox(
      python("def add(a, b):\n    return a + b", ["assert add(1, 2) == 3", "assert add(2, 2) == 5", "assert add(0, 0) == 0"]),
    );
    expect(r.loaded).toBe(true);
    expect(r.tests.map((t) => t.ok)).toEqual([true, false, true]);
    expect(r.tests[1]?.error).toMatch(/AssertionError/);
    expect(r.passed).toBe(2);
  });

  it("runs the setup code before the tests, in the solution's namespace", async () => {
    const r = await runTestsInSandbox(python("def double(x):\n    return 2 * x", ["assert double(BASE) == 14"], { setup: "BASE = 7" }));
    expect(r.passed).toBe(1);
  });

  it("fails every test when the solution does not even parse, and says why", async () => {
    const r = await runTestsInSandbox(python("Code: def add(a, b):\n    return a + b", ["assert add(1, 2) == 3"]));
    expect(r.loaded).toBe(false);
    expect(r.loadError).toMatch(/SyntaxError/);
    expect(r.passed).toBe(0);
  });

  it("does not run a solution's __main__ demo code", async () => {
    const r = await runTestsInSandbox(
      python('def f():\n    return 1\nif __name__ == "__main__":\n    raise SystemExit(input())', ["assert f() == 1"]),
    );
    expect(r.passed).toBe(1);
  });

  it("kills the process at the time limit and counts the tests that had not finished as failed", async () => {
    const started = Date.now();
    const r = await runTestsInSandbox(
      python("def spin():\n    while True:\n        pass", ["assert True", "spin()", "assert True"], { timeoutMs: 1500 }),
    );
    expect(Date.now() - started).toBeLessThan(6000);
    expect(r.timedOut).toBe(true);
    expect(r.tests.map((t) => t.ok)).toEqual([true, false, false]);
    expect(r.tests[1]?.error).toMatch(/did not finish within 1500 ms/);
  });

  it("stops a solution that allocates beyond the memory limit", async () => {
    const r = await runTestsInSandbox(
      python("def big():\n    return len(bytearray(400 * 1024 * 1024))", ["assert big() > 0"], { memoryMb: 128 }),
    );
    expect(r.tests[0]).toEqual({ ok: false, error: "MemoryError" });
  });

  it("refuses a network connection through the language guard alone: the local server accepts nothing", async () => {
    const before = accepted;
    const code = `import socket\ndef fetch():\n    s = socket.socket()\n    s.settimeout(2)\n    s.connect(("127.0.0.1", ${port}))\n    return s.recv(5)`;
    const r = await runTestsInSandbox(python(code, ['assert fetch() == b"hello"']), { isolation: "guard" });
    expect(r.isolation).toBe("guard");
    expect(r.tests[0]?.ok).toBe(false);
    expect(r.tests[0]?.error).toMatch(/no network \(socket\.connect\)/);
    expect(accepted).toBe(before);
  });

  it("refuses to start processes and to write outside its temp dir", async () => {
    const r = await runTestsInSandbox(
      python("import os, subprocess", [
        'subprocess.run(["true"])',
        'open("/tmp/maspo-sandbox-escape.txt", "w").write("x")',
        'open("inside.txt", "w").write("x")',
      ]),
    );
    expect(r.tests[0]?.error).toMatch(/no processes/);
    expect(r.tests[1]?.error).toMatch(/no writes outside the temp dir/);
    expect(r.tests[2]).toEqual({ ok: true });
  });

  it("shows the code none of this process's environment: an API key variable is not there", async () => {
    process.env["MASPO_SANDBOX_TEST_KEY"] = "sk-secret";
    try {
      const r = await runTestsInSandbox(python("import os", ['assert os.environ.get("MASPO_SANDBOX_TEST_KEY") is None']));
      expect(r.passed).toBe(1);
    } finally {
      delete process.env["MASPO_SANDBOX_TEST_KEY"];
    }
  });
});

describe("the code sandbox, JavaScript", () => {
  it("runs function declarations, module.exports and export keywords, and awaits async tests", async () => {
    const declared = await runTestsInSandbox(
      javascript("function add(a, b) { return a + b }", ["assert.strictEqual(add(1, 2), 3)", "assert.strictEqual(add(2, 2), 5)"]),
    );
    expect(declared.tests.map((t) => t.ok)).toEqual([true, false]);
    const exported = await runTestsInSandbox(
      javascript("const add = (a, b) => a + b;\nmodule.exports = { add };", ["assert.strictEqual(add(1, 2), 3)"]),
    );
    expect(exported.passed).toBe(1);
    const esm = await runTestsInSandbox(
      javascript("export async function later(x) { await new Promise((r) => setTimeout(r, 5)); return x }", [
        "assert.strictEqual(await later(4), 4)",
      ]),
    );
    expect(esm.passed).toBe(1);
  });

  it("refuses network connections and fetch through the guard alone: the local server accepts nothing", async () => {
    const before = accepted;
    const code = [
      "const net = require('node:net');",
      `function connect() { return new Promise((res, rej) => { const s = net.connect(${port}, '127.0.0.1'); s.on('data', (d) => res(String(d))); s.on('error', rej); }); }`,
      `async function get() { return (await fetch('http://127.0.0.1:${port}/')).status; }`,
    ].join("\n");
    const r = await runTestsInSandbox(javascript(code, ["assert.strictEqual(await connect(), 'hello\\n')", "assert.ok(await get())"]), {
      isolation: "guard",
    });
    expect(r.tests.map((t) => t.error)).toEqual([
      expect.stringMatching(/no network \(net\.Socket\.connect\)/),
      expect.stringMatching(/no network \(fetch\)/),
    ]);
    expect(accepted).toBe(before);
  });

  it("forbids child processes and files outside its temp dir (node's permission model)", async () => {
    const r = await runTestsInSandbox(
      javascript("const fs = require('node:fs');", [
        "require('node:child_process').execSync('true')",
        "fs.writeFileSync('/tmp/maspo-sandbox-escape.txt', 'x')",
      ]),
    );
    expect(r.tests.every((t) => !t.ok && /ERR_ACCESS_DENIED|permission|Access to this API has been restricted/i.test(t.error ?? ""))).toBe(
      true,
    );
  });

  it("caps the heap: a runaway allocation ends the process and fails its test", async () => {
    const r = await runTestsInSandbox(javascript("const hog = []", ["for (;;) hog.push(new Array(1e6).fill(1))"], { memoryMb: 64 }));
    expect(r.timedOut).toBe(false);
    expect(r.tests[0]?.ok).toBe(false);
  });
});

const isolation = await networkIsolation();

describe("the network namespace layer", () => {
  it.skipIf(isolation === "guard")(
    "keeps an unguarded process off the network: the connection fails and the local server accepts nothing",
    async () => {
      const before = accepted;
      const argv = await inNetworkNamespace([
        process.execPath,
        "-e",
        `require("node:net").connect(${port}, "127.0.0.1").on("connect", () => process.exit(0)).on("error", (e) => { console.log(e.code); process.exit(3); })`,
      ]);
      expect(argv).toBeDefined();
      const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(argv?.[0] ?? "", argv?.slice(1) ?? [], { stdio: ["ignore", "pipe", "inherit"] });
        let text = "";
        child.stdout.on("data", (d: Buffer) => (text += d.toString()));
        child.on("close", (c) => resolve({ code: c, out: text }));
      });
      expect(code).toBe(3);
      expect(out).toMatch(/ENETUNREACH|ECONNREFUSED/);
      expect(accepted).toBe(before);
    },
  );

  it.skipIf(isolation === "guard")("is what sandboxed runs get on a host that allows it", async () => {
    const r = await runTestsInSandbox(python("x = 1", ["assert x == 1"]));
    expect(r.isolation).toBe("namespace+guard");
  });
});

// The installed command as a real process: the built bin/maspo.js (run `npx tsc -b` first; this
// file builds nothing), its streams and its exit statuses.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(REPO, "packages/cli/bin/maspo.js");

function maspo(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, env: { PATH: process.env["PATH"] ?? "" } }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ status, stdout, stderr });
    });
  });
}

describe("bin/maspo.js as a process", () => {
  it("ends its output quietly, exit 0, when the reader of its stdout goes away (maspo run --help | head)", async () => {
    const child = spawn(process.execPath, [BIN, "run", "--help"], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    // Closed before the process has started up: its first write meets a pipe nobody reads (EPIPE).
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });

  it("prints its version", async () => {
    const version = (JSON.parse(readFileSync(join(REPO, "packages/cli/package.json"), "utf8")) as { version: string }).version;
    expect(await maspo(["--version"])).toEqual({ status: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("validates an example: ok on stdout, exit 0", async () => {
    const result = await maspo(["validate", "examples/inline-arithmetic.yaml"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^ok: examples\/inline-arithmetic\.yaml: /);
    expect(result.status).toBe(0);
  });

  it("refuses a broken spec: every problem on stderr, exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "maspo-proc-"));
    const file = join(dir, "spec.yaml");
    const text = readFileSync(join(REPO, "examples/inline-arithmetic.yaml"), "utf8")
      .replace("weights: { local: 0.25, lookahead: 0.35, global: 0.40 }", "weights: { local: 0.5, lookahead: 0.5, global: 0.5 }")
      .replace("seed: 7", "sede: 7");
    writeFileSync(file, text);
    const result = await maspo(["validate", file]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("weights: expected local + lookahead + global = 1, found 0.5 + 0.5 + 0.5 = 1.5");
    expect(result.stderr).toContain("weights.reason: expected a reason for overriding the default weights");
    expect(result.stderr).toContain("sede: expected one of the known keys");
    expect(result.stderr).toContain('did you mean "seed"?');
  });

  it("run --nats with no server reachable fails with a message that says so, and exits 1", async () => {
    const result = await maspo(["run", "examples/inline-arithmetic.yaml", "--nats", "nats://127.0.0.1:1"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("cannot connect");
  });
});

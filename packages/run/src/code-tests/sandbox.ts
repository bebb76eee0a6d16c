/**
 * The sandbox the `code_tests` metric runs generated code in: one child process per example, in a
 * fresh temp dir (its working directory, HOME and TMPDIR; removed afterwards), with a minimal
 * environment (PATH and locale only: no API key of this process reaches the code), and limits:
 *
 * - **time**: the example's tests get `timeoutMs` of wall clock; then the whole process group is
 *   killed (the child leads its own group), and tests that had not reported count as failed. A CPU
 *   limit (`ulimit -t`) backs it up.
 * - **memory**: `ulimit -v` caps the address space: `memoryMb` for Python; for node, whose V8 reserves
 *   address space far beyond what it uses, the heap is capped with `--max-old-space-size=memoryMb`
 *   and the address space at memoryMb + 2 GiB. Files written are capped at 64 MiB (`ulimit -f`).
 * - **no network**, in two layers. (1) The kernel: where the host allows it, the process runs in a
 *   network namespace of its own (`unshare --net`, inside a user namespace when not root, so no
 *   privilege is needed), which has nothing but a loopback device that is down — no connection of any
 *   kind can leave it. maspo probes this once per process. (2) The language, always, for hosts whose
 *   kernel or container refuses namespaces: Python's audit hook refuses socket connect/bind/send and
 *   name lookups, process creation and ctypes; node runs under its permission model (no child
 *   processes, workers, addons or WASI; files only in the temp dir) with the socket, datagram, DNS
 *   and fetch entry points replaced by ones that refuse. `networkIsolation()` says which layers hold.
 *
 * This keeps honest mistakes and ordinary code away from the network and the machine; it is not a
 * wall against deliberately hostile code — run untrusted models' code in a container or VM as well.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { type CodeLanguage, MaspoError } from "@maspo/core";
import pLimit from "p-limit";
import { JAVASCRIPT_HARNESS, PYTHON_HARNESS } from "./harnesses.js";

export class SandboxError extends MaspoError<"E_CODE_TESTS_SANDBOX"> {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_CODE_TESTS_SANDBOX", message, options);
  }
}

/** Which layers keep a sandboxed process off the network: the kernel's namespace and the language guard, or the guard alone. */
export type NetworkIsolation = "namespace+guard" | "guard";

export interface SandboxRequest {
  language: CodeLanguage;
  /** The solution: the code taken from the final output. */
  code: string;
  /** Test snippets, run in order after the solution in its namespace. */
  tests: readonly string[];
  /** Code run after the solution and before the tests (MBPP's test_setup_code). */
  setup?: string;
  timeoutMs: number;
  memoryMb: number;
}

export interface TestOutcome {
  ok: boolean;
  /** Why it failed: the exception, or that it did not finish in time. */
  error?: string;
}

export interface SandboxResult {
  /** Whether the solution (and setup) ran without raising; when not, every test failed. */
  loaded: boolean;
  loadError?: string;
  /** One per test, in order. */
  tests: TestOutcome[];
  passed: number;
  timedOut: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The end of the process's stderr, for diagnosis. */
  stderr: string;
  isolation: NetworkIsolation;
}

export interface SandboxOptions {
  /** Force a network isolation instead of probing (tests prove each layer on its own). */
  isolation?: NetworkIsolation;
}

const OUTPUT_CAP = 16 * 1024;
const RESULTS_CAP = 1024 * 1024;
const FILE_SIZE_BLOCKS = 131_072; // 64 MiB in 512-byte blocks
const NODE_ADDRESS_HEADROOM_MB = 2048;

/** The environment the code sees: nothing of this process's but PATH. */
function sandboxEnv(dir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: dir,
    TMPDIR: dir,
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONHASHSEED: "0",
    PYTHONIOENCODING: "utf-8",
  };
}

function nodePermissionFlag(): string {
  return process.allowedNodeEnvironmentFlags.has("--permission") ? "--permission" : "--experimental-permission";
}

let pythonProbe: Promise<string> | undefined;

/**
 * The Python interpreter python3 on PATH resolves to, asked once per process: a version manager's
 * python3 is often a shell shim that costs hundreds of milliseconds per start.
 */
function pythonExecutable(): Promise<string> {
  pythonProbe ??= new Promise<string>((resolve, reject) => {
    const child = spawn("python3", ["-I", "-c", "import sys; print(sys.executable)"], { stdio: ["ignore", "pipe", "pipe"] });
    const out = collect(child.stdout, OUTPUT_CAP, false);
    const err = collect(child.stderr, OUTPUT_CAP, true);
    child.on("error", (error) => reject(new SandboxError(`no python3 to run the tests with: ${error.message}`, { cause: error })));
    child.on("close", (code) => {
      const path = out().trim();
      if (code === 0 && path !== "") resolve(path);
      else reject(new SandboxError(`python3 did not say where it is (status ${code}): ${err().trim().slice(-300)}`));
    });
  });
  pythonProbe.catch(() => (pythonProbe = undefined));
  return pythonProbe;
}

async function interpreter(
  language: CodeLanguage,
  dir: string,
  memoryMb: number,
): Promise<{ argv: string[]; harness: string; solution: string; addressMb: number }> {
  if (language === "python") {
    return {
      argv: [await pythonExecutable(), "-I", "-B", "harness.py"],
      harness: "harness.py",
      solution: "solution.py",
      addressMb: memoryMb,
    };
  }
  return {
    argv: [
      process.execPath,
      nodePermissionFlag(),
      `--allow-fs-read=${dir}`,
      `--allow-fs-write=${dir}`,
      `--max-old-space-size=${memoryMb}`,
      "--no-warnings",
      "harness.cjs",
    ],
    harness: "harness.cjs",
    solution: "solution.js",
    addressMb: memoryMb + NODE_ADDRESS_HEADROOM_MB,
  };
}

/** `sh` sets the limits on itself, then becomes the interpreter, so they bind it and everything it starts. */
function withLimits(argv: readonly string[], addressMb: number, timeoutMs: number): string[] {
  const cpuSeconds = Math.ceil(timeoutMs / 1000) + 1;
  return [
    "/bin/sh",
    "-c",
    'ulimit -v "$1" && ulimit -t "$2" && ulimit -f "$3" && shift 3 && exec "$@"',
    "maspo-sandbox",
    String(addressMb * 1024),
    String(cpuSeconds),
    String(FILE_SIZE_BLOCKS),
    ...argv,
  ];
}

const NAMESPACE_FLAGS: readonly (readonly string[])[] = [
  ...(process.getuid?.() === 0 ? [["--net"]] : []),
  ["--user", "--map-root-user", "--net"],
];

function exitsZero(argv: readonly string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(argv[0] ?? "", argv.slice(1), { stdio: "ignore" });
    child.on("error", () => resolve(false));
    child.on("close", (code) => resolve(code === 0));
  });
}

let namespaceProbe: Promise<readonly string[] | undefined> | undefined;

/** The `unshare` flags that give a process its own network namespace here, or undefined when the host refuses. */
function namespaceFlags(): Promise<readonly string[] | undefined> {
  namespaceProbe ??= (async () => {
    for (const flags of NAMESPACE_FLAGS) if (await exitsZero(["unshare", ...flags, "--", "/bin/sh", "-c", "exit 0"])) return flags;
    return undefined;
  })();
  return namespaceProbe;
}

/** `argv` in a network namespace of its own, or undefined when this host refuses one (for tests of that layer alone). */
export async function inNetworkNamespace(argv: readonly string[]): Promise<string[] | undefined> {
  const flags = await namespaceFlags();
  return flags ? ["unshare", ...flags, "--", ...argv] : undefined;
}

/** The network isolation sandboxed code gets on this host. */
export async function networkIsolation(): Promise<NetworkIsolation> {
  return (await namespaceFlags()) ? "namespace+guard" : "guard";
}

// Test processes are CPU-bound: no more at once than the machine has cores, whatever the LLM concurrency.
const slots = pLimit(Math.max(1, availableParallelism()));

function collect(stream: Readable | null | undefined, cap: number, keepEnd: boolean): () => string {
  let text = "";
  stream?.setEncoding("utf8");
  stream?.on("data", (chunk: string) => {
    text += chunk;
    if (text.length > cap) text = keepEnd ? text.slice(-cap) : text.slice(0, cap);
  });
  return () => text;
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // The group is gone already.
  }
}

interface HarnessLine {
  ready?: boolean;
  load?: "ok" | "error";
  error?: string;
  test?: number;
  ok?: boolean;
}

function parseLines(text: string): HarnessLine[] {
  return text.split("\n").flatMap((line) => {
    if (line.trim() === "") return [];
    try {
      const value: unknown = JSON.parse(line);
      return value !== null && typeof value === "object" ? [value as HarnessLine] : [];
    } catch {
      return [];
    }
  });
}

/**
 * Runs one example's tests against a solution in the sandbox. Failing code is a result (tests
 * failed); a sandbox that cannot run at all (no interpreter, the harness never started) throws.
 */
export function runTestsInSandbox(request: SandboxRequest, options: SandboxOptions = {}): Promise<SandboxResult> {
  return slots(async () => {
    const flags = options.isolation === "guard" ? undefined : await namespaceFlags();
    if (options.isolation === "namespace+guard" && !flags)
      throw new SandboxError("a network namespace was asked for, but this host refuses unshare --net");
    const isolation: NetworkIsolation = flags ? "namespace+guard" : "guard";
    const dir = await mkdtemp(join(tmpdir(), "maspo-code-"));
    try {
      const run = await interpreter(request.language, dir, request.memoryMb);
      await Promise.all([
        writeFile(join(dir, run.harness), request.language === "python" ? PYTHON_HARNESS : JAVASCRIPT_HARNESS),
        writeFile(join(dir, run.solution), request.code),
        writeFile(join(dir, "tests.json"), JSON.stringify({ tests: request.tests, ...(request.setup ? { setup: request.setup } : {}) })),
      ]);
      const limited = withLimits(run.argv, run.addressMb, request.timeoutMs);
      const argv = flags ? ["unshare", ...flags, "--", ...limited] : limited;
      return await execute(argv, dir, request, isolation);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

function execute(argv: readonly string[], dir: string, request: SandboxRequest, isolation: NetworkIsolation): Promise<SandboxResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] ?? "", argv.slice(1), {
      cwd: dir,
      env: sandboxEnv(dir),
      stdio: ["ignore", "pipe", "pipe", "pipe"],
      detached: true,
    });
    const results = collect(child.stdio[3] as Readable | null, RESULTS_CAP, false);
    collect(child.stdout, OUTPUT_CAP, true);
    const stderr = collect(child.stderr, OUTPUT_CAP, true);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, request.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new SandboxError(`could not start ${argv[0] ?? "the sandbox"}: ${error.message}`, { cause: error }));
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      killGroup(child);
      const lines = parseLines(results());
      if (!lines.some((l) => l.ready === true)) {
        const why = timedOut
          ? `did not start within ${request.timeoutMs} ms`
          : `exited (${signal ?? `status ${exitCode}`}) before it started`;
        reject(new SandboxError(`the ${request.language} test harness ${why}${stderr().trim() ? `: ${stderr().trim().slice(-600)}` : ""}`));
        return;
      }
      const load = lines.find((l) => l.load !== undefined);
      const loaded = load?.load === "ok";
      const unfinished = timedOut
        ? `did not finish within ${request.timeoutMs} ms`
        : `did not finish (the process ended: ${signal ?? `status ${exitCode}`})`;
      const tests: TestOutcome[] = request.tests.map((_, i) => {
        if (!loaded) return { ok: false, error: load?.error ?? `the solution ${unfinished}` };
        const line = lines.find((l) => l.test === i);
        if (!line) return { ok: false, error: unfinished };
        return line.ok === true ? { ok: true } : { ok: false, error: line.error ?? "failed" };
      });
      resolve({
        loaded,
        ...(load?.load === "error" && load.error !== undefined ? { loadError: load.error } : {}),
        tests,
        passed: tests.filter((t) => t.ok).length,
        timedOut,
        exitCode,
        signal,
        stderr: stderr(),
        isolation,
      });
    });
  });
}

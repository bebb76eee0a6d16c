/**
 * `maspo sim serve` and `maspo sim oracle`: the simulated LLM world as an OpenAI-compatible server,
 * and the world's known floor, ceiling and best prompt set. Thin: parse flags, call @maspo/simlm.
 */
import { resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import {
  applyRealismOverrides,
  bundledWorldNames,
  loadWorld as loadWorldFile,
  openRequestLog,
  oracle,
  STATS_PATH,
  startSimServer,
  worldRealism,
  type RequestLogEntry,
  type ServiceRealismOverrides,
  type World,
} from "@maspo/simlm";
import { type CliIo, processIo } from "../cli-io.js";

/** What the sim commands use of the CLI's io; a full `CliIo` fits. */
export interface SimCommandIo extends Pick<CliIo, "out" | "err"> {
  /** What a relative world file path is relative to (default: the process's working directory). */
  cwd?: string;
  /** Stops `sim serve` (besides SIGINT/SIGTERM); for embedding and tests. */
  stop?: AbortSignal;
}

/** A bundled world by name, else a world file relative to the io's working directory. */
function loadWorld(ref: string, io: SimCommandIo): World {
  return loadWorldFile(bundledWorldNames().includes(ref) ? ref : resolve(io.cwd ?? process.cwd(), ref));
}

function numberArg(what: string, min: number, max = Infinity, integer = false) {
  return (raw: string): number => {
    const value = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      const range = max === Infinity ? `>= ${min}` : `between ${min} and ${max}`;
      throw new InvalidArgumentError(`expected ${integer ? "an integer" : "a number"} ${range} (${what}), found "${raw}"`);
    }
    return value;
  };
}

interface ServeFlags extends ServiceRealismOverrides {
  world: string;
  port: number;
  host: string;
  logRequests?: string;
  rpm?: number;
}

interface OracleFlags {
  world: string;
  json?: boolean;
}

/** Resolves on SIGINT/SIGTERM or the io's stop signal, and leaves no listener behind. */
function stopRequested(stop: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      stop?.removeEventListener("abort", onStop);
      resolve(why);
    };
    const onInt = () => done("SIGINT");
    const onTerm = () => done("SIGTERM");
    const onStop = () => done("stop requested");
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
    if (stop?.aborted) done("stop requested");
    else stop?.addEventListener("abort", onStop, { once: true });
  });
}

async function serve(flags: ServeFlags, io: SimCommandIo): Promise<void> {
  const world = loadWorld(flags.world, io);
  const realism = applyRealismOverrides(worldRealism(world), flags, "sim serve flags");
  const log = flags.logRequests === undefined ? undefined : openRequestLog(resolve(io.cwd ?? process.cwd(), flags.logRequests));
  try {
    const server = await startSimServer({
      world,
      port: flags.port,
      host: flags.host,
      realism,
      onError: (error) =>
        io.err(`simlm: a request failed inside simlm: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`),
      ...(log ? { logRequest: (entry: RequestLogEntry) => log.write(entry) } : {}),
      ...(flags.rpm !== undefined ? { rpm: flags.rpm } : {}),
    });
    io.out(`simlm world "${world.name}" serving at ${server.url} (Ctrl-C to stop)\n`);
    if (log) io.out(`simlm logging every chat request to ${log.file}\n`);
    if (flags.rpm !== undefined) {
      io.out(
        `simlm caps each model at ${flags.rpm} requests per minute (429 beyond); counts at ${server.url.replace(/\/v1$/, "")}${STATS_PATH}\n`,
      );
    }
    const why = await stopRequested(io.stop);
    await server.close();
    io.out(`simlm stopped (${why})\n`);
  } finally {
    log?.close();
  }
}

function runOracle(flags: OracleFlags, io: SimCommandIo): void {
  const world = loadWorld(flags.world, io);
  const result = oracle(world);
  if (flags.json) {
    io.out(`${JSON.stringify({ floor: result.floor, ceiling: result.ceiling, best: result.best }, null, 2)}\n`);
    return;
  }
  const lines = [
    `world ${world.name}: held-out final metric`,
    `  floor    ${result.floor.toFixed(3)}  (initial prompts)`,
    `  ceiling  ${result.ceiling.toFixed(3)}  (best directive set)`,
    `  gap      ${(result.ceiling - result.floor).toFixed(3)}  (a run's result is reported as the fraction of this gap it closes)`,
    "",
    "best prompt set:",
  ];
  for (const [agentId, prompt] of Object.entries(result.best)) {
    lines.push("", `--- ${agentId} ---`, prompt.trimEnd());
  }
  io.out(`${lines.join("\n")}\n`);
}

/** Add `sim serve` and `sim oracle` to a program. */
export function registerSimCommands(program: Command, io: SimCommandIo = processIo()): void {
  const sim = program.command("sim").description("the simulated LLM world (simlm) maspo is tested against");

  sim
    .command("serve")
    .description("serve a simlm world as an OpenAI-compatible API until SIGINT/SIGTERM")
    .requiredOption("--world <name|file>", "a bundled world name or a world YAML file")
    .addOption(new Option("--port <port>", "port to listen on (0: a free port)").default(0).argParser(numberArg("port", 0, 65535, true)))
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .addOption(new Option("--latency-ms <ms>", "fixed latency per reply").argParser(numberArg("milliseconds", 0)))
    .addOption(new Option("--latency-per-token-ms <ms>", "added latency per output token").argParser(numberArg("milliseconds", 0)))
    .addOption(
      new Option("--max-concurrency <n>", "requests in flight before answering 429").argParser(numberArg("requests", 1, Infinity, true)),
    )
    .addOption(new Option("--retry-after-ms <ms>", "wait asked of clients by 429 replies").argParser(numberArg("milliseconds", 0)))
    .addOption(new Option("--fault-429 <rate>", "rate of injected 429 replies").argParser(numberArg("rate", 0, 1)))
    .addOption(new Option("--fault-500 <rate>", "rate of injected 500 replies").argParser(numberArg("rate", 0, 1)))
    .addOption(new Option("--fault-timeout <rate>", "rate of requests never answered").argParser(numberArg("rate", 0, 1)))
    .addOption(new Option("--fault-malformed <rate>", "rate of truncated or non-JSON bodies").argParser(numberArg("rate", 0, 1)))
    .addOption(new Option("--fault-seed <seed>", "seed of the fault draws").argParser(numberArg("seed", -(2 ** 31), 2 ** 32, true)))
    .addOption(
      new Option("--rpm <n>", "chat completions per model per minute (a sliding 60 s); beyond it 429 with Retry-After").argParser(
        numberArg("requests per minute", 1, Infinity, true),
      ),
    )
    .option("--log-requests <file>", "append one JSON line per chat request: its model, messages and simlm's reading of it (no headers)")
    .action(async (flags: ServeFlags) => serve(flags, io));

  sim
    .command("oracle")
    .description("print a world's floor, ceiling (held-out split) and best prompt set")
    .requiredOption("--world <name|file>", "a bundled world name or a world YAML file")
    .option("--json", 'print exactly { "floor", "ceiling", "best": { agentId: prompt } }')
    .action((flags: OracleFlags) => runOracle(flags, io));
}

/**
 * What `maspo run` shows while it works: a live bar on a terminal (epoch/round/agent, calls,
 * tokens, cost, best train metric, ETA), one plain line per round when not a TTY, JSON lines with
 * --json-logs, nothing but errors with --quiet. It only reads the state the loop reports.
 */
import cliProgress from "cli-progress";
import pino from "pino";
import type { StepEvent } from "@maspo/coordinator";
import type { UsageTotals } from "@maspo/core";

export type ProgressMode = "tty" | "plain" | "json" | "quiet";

export interface RunProgress {
  step(event: StepEvent, usage: UsageTotals): void;
  round(event: StepEvent, usage: UsageTotals): void;
  message(text: string): void;
  stop(): void;
}

export function progressMode(
  opts: { quiet?: boolean; jsonLogs?: boolean },
  stream: NodeJS.WriteStream | { isTTY?: boolean },
): ProgressMode {
  if (opts.quiet) return "quiet";
  if (opts.jsonLogs) return "json";
  return stream.isTTY ? "tty" : "plain";
}

function roundLine(event: StepEvent, usage: UsageTotals): string {
  const s = event.state;
  const last = s.rounds.at(-1);
  const best = Number.isFinite(s.bestTrainMetric) ? `${(s.bestTrainMetric * 100).toFixed(1)}%` : "—";
  // A round token cap that stopped a step, or that the round end passed, is said on the round's own line.
  const capped = s.guardEvents.filter((g) => g.guard === "tokensPerRoundMax" && g.round === last?.round);
  const cap = last?.tokenCap ? `, round ${last.tokenCap.spent} of tokensPerRoundMax ${last.tokenCap.cap} tokens` : "";
  return `round ${last?.round ?? "?"}: train ${last ? (last.trainMetric * 100).toFixed(1) : "—"}% (best ${best}), |B_mis| ${s.buffer.length}, ${usage.calls} calls, ${usage.tokens} tokens${cap}, $${usage.usd.toFixed(4)}, ${usage.cacheHits} cache hits${usage.retries > 0 || usage.failedAttempts > 0 ? `, ${usage.retries} retries (${usage.failedAttempts} failed attempts)` : ""}${capped.map((g) => `; guard tokensPerRoundMax: ${g.detail}`).join("")}`;
}

export function createRunProgress(mode: ProgressMode, out: NodeJS.WritableStream): RunProgress {
  const started = Date.now();
  if (mode === "json") {
    const log = pino({ base: { role: "coordinator" } }, out as pino.DestinationStream);
    return {
      step: (e, u) => log.info({ event: "step", step: e.label, index: e.index + 1, total: e.total, ...u }, e.label),
      round: (e, u) =>
        log.info({ event: "round", ...u, train: e.state.rounds.at(-1)?.trainMetric, buffer: e.state.buffer.length }, roundLine(e, u)),
      message: (text) => log.info({ event: "message" }, text),
      stop: () => undefined,
    };
  }
  if (mode === "quiet") return { step: () => undefined, round: () => undefined, message: () => undefined, stop: () => undefined };
  if (mode === "plain") {
    return {
      step: () => undefined,
      round: (e, u) => out.write(`${roundLine(e, u)}\n`),
      message: (text) => out.write(`${text}\n`),
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: out as NodeJS.WriteStream,
      format: "{bar} {value}/{total} {step} | {calls} calls {tokens} tok ${usd} {retries}| best {best} | ETA {eta_formatted}",
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let startedBar = false;
  return {
    step: (e, u) => {
      const payload = {
        step: e.label,
        calls: u.calls,
        tokens: u.tokens,
        usd: u.usd.toFixed(4),
        // Weather shows while it happens: retries (429s honoured, 5xx, timeouts) and failed attempts.
        retries: u.retries > 0 ? `${u.retries} retries ` : "",
        best: Number.isFinite(e.state.bestTrainMetric) ? `${(e.state.bestTrainMetric * 100).toFixed(1)}%` : "—",
      };
      if (!startedBar) {
        bar.start(e.total, e.index + 1, payload);
        startedBar = true;
      } else bar.update(e.index + 1, payload);
    },
    round: (e, u) => {
      if (startedBar) bar.stop();
      startedBar = false;
      out.write(`${roundLine(e, u)} [${((Date.now() - started) / 1000).toFixed(0)}s]\n`);
    },
    message: (text) => out.write(`${text}\n`),
    stop: () => {
      if (startedBar) bar.stop();
    },
  };
}

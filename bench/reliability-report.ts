/**
 * The reliability bench's output: bench/results/reliability.json (every case's figures and rows, as
 * measured) and reliability.md (one table of figures against targets, met / NOT met, then each
 * case's rows). A target not met is reported here, never thrown: the suite measures, it does not gate.
 */
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { dirname } from "node:path";
import type { CaseResult } from "../test/reliability/figures.js";

export interface ReliabilityResults {
  date: string;
  machine: string;
  /** The commit measured (`git describe --always --dirty`): figures belong to a tree. */
  commit?: string;
  seconds: number;
  /** Set by a RELIABILITY_ONLY run: the cases measured by it; the others were kept from the previous JSON. */
  remeasured?: string[];
  cases: CaseResult[];
}

const cell = (v: unknown): string =>
  String(v ?? "")
    .replaceAll("|", "\\|")
    .replaceAll("\n", " ");

export function reliabilityMarkdown(results: ReliabilityResults): string {
  const lines = [
    "# Reliability",
    "",
    `Measured ${results.date} on ${results.machine}${results.commit ? ` at ${results.commit}` : ""} in ${Math.round(results.seconds)} s by \`npm run bench:reliability\``,
    ...(results.remeasured
      ? [`(This run re-measured ${results.remeasured.join(", ")}; every other case is kept from the run before it, in the JSON.)`]
      : []),
    "(bench/reliability.bench.ts; each case's logic in test/reliability/, whose short versions run in `npm test`).",
    "Real processes throughout: the built `maspo` CLI, real nats-server processes, simlm over HTTP.",
    "",
    "| case | runs | figure | value | target | |",
    "|---|---:|---|---:|---|---|",
  ];
  for (const c of results.cases) {
    if (c.notRun !== undefined) {
      lines.push(`| ${cell(c.title)} | 0 | — | — | — | not run: ${cell(c.notRun)} |`);
      continue;
    }
    for (const f of c.figures) {
      const status = f.target === "informational" ? "" : f.met ? "met" : "**NOT met**";
      lines.push(`| ${cell(c.title)} | ${c.repeats} | ${cell(f.name)} | ${f.value} | ${cell(f.target)} | ${status} |`);
    }
  }
  const notes = results.cases.flatMap((c) => c.figures.filter((f) => f.note).map((f) => `- ${c.title}, ${f.name}: ${f.note}`));
  if (notes.length > 0) lines.push("", "Notes on the targets:", "", ...notes);
  for (const c of results.cases) {
    if (c.rows.length === 0) continue;
    const keys = [...new Set(c.rows.flatMap((r) => Object.keys(r)))];
    lines.push("", `## ${c.title}`, "", `${c.repeats} runs in ${Math.round(c.seconds ?? 0)} s.`, "");
    lines.push(`| ${keys.join(" | ")} |`, `|${keys.map(() => "---").join("|")}|`);
    for (const r of c.rows) lines.push(`| ${keys.map((k) => cell(r[k])).join(" | ")} |`);
  }
  return `${lines.join("\n")}\n`;
}

export async function writeReliabilityResults(results: ReliabilityResults, jsonPath: string, mdPath: string): Promise<void> {
  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(mdPath, reliabilityMarkdown(results));
}

export function commitMeasured(): string | undefined {
  try {
    return execFileSync("git", ["describe", "--always", "--dirty"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

export function machine(): string {
  const list = cpus();
  return `${list.length} × ${list[0]?.model.trim() ?? "unknown CPU"}, Node ${process.version}`;
}

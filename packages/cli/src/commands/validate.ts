/**
 * `maspo validate <spec...>`: every problem of each spec (or sweep file: every expanded run) at once, each with its path, what was
 * expected and what was found; exit 2 if any spec has one. Nothing is started.
 */
import { resolve } from "node:path";
import { readFile } from "node:fs/promises";
import { type Issue, ValidationError, loadSpecFile, parseSpecText } from "@maspo/core";
import { isSweepDocument, loadSweepPlan } from "@maspo/run";
import { bundledWorldNames } from "@maspo/simlm";
import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";
import { ExitStatus, ReportedError } from "../exit-status.js";
import { summarizeSpec } from "../spec-summary.js";

interface ValidateFlags {
  envCheck: boolean;
  json: boolean;
}

type Outcome = { spec: string; ok: true; summary: string } | { spec: string; ok: false; issues: readonly Issue[] };

async function validateOne(file: string, flags: ValidateFlags, io: CliIo): Promise<Outcome> {
  try {
    const path = resolve(io.cwd, file);
    if (await isSweepFile(path)) {
      const plan = await loadSweepPlan(path, { env: io.env, checkEnv: flags.envCheck });
      return {
        spec: file,
        ok: true,
        summary: `sweep of ${plan.runs.length} runs (${plan.configurations.length} configurations) of ${plan.base}`,
      };
    }
    const spec = await loadSpecFile(path, { env: io.env, checkEnv: flags.envCheck, simlmWorlds: bundledWorldNames() });
    return { spec: file, ok: true, summary: summarizeSpec(spec) };
  } catch (error) {
    if (error instanceof ValidationError) return { spec: file, ok: false, issues: error.issues };
    throw error;
  }
}

/** A sweep file names a base spec; anything else (a file that does not parse, too) is read as a run spec. */
async function isSweepFile(path: string): Promise<boolean> {
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) return false;
  try {
    return isSweepDocument(parseSpecText(text, path).raw);
  } catch {
    return false; // the run spec loader reports the syntax error with its line
  }
}

export function registerValidateCommand(program: Command, io: CliIo): void {
  program
    .command("validate")
    .description("check run specs without running anything: every problem at once (exit 2 if any)")
    .argument("<spec...>", "run spec files (YAML or JSON)")
    .option("--no-env-check", "do not require the API key variables of the endpoints the run uses to be set")
    .option("--json", "print the outcome as JSON: [{ spec, ok, summary | issues }]")
    .action(async (specs: string[], flags: ValidateFlags) => {
      const outcomes: Outcome[] = [];
      for (const file of specs) outcomes.push(await validateOne(file, flags, io));
      if (flags.json) io.out(`${JSON.stringify(outcomes, null, 2)}\n`);
      else {
        for (const o of outcomes) {
          if (o.ok) io.out(`ok: ${o.spec}: ${o.summary}\n`);
          else io.err(`${new ValidationError(o.spec, o.issues).message}\n`);
        }
      }
      const failed = outcomes.filter((o) => !o.ok).map((o) => o.spec);
      if (failed.length > 0) throw new ReportedError(ExitStatus.refused, `invalid: ${failed.join(", ")}`);
    });
}

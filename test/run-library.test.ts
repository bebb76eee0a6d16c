/**
 * The run library's README example is code that runs: the README's "As a library" block, pointed at
 * the small math-chain spec and a temp directory, is executed as a module against the built packages
 * and writes the report it says it writes.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, SMALL_SPEC, readReport, removeTempDirs, tempDir } from "./fixtures/maspo-processes.js";

afterAll(removeTempDirs);

function readmeExample(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("As a library:"));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error("README.md has no ```ts block after 'As a library:'");
  return block;
}

describe("the run library", () => {
  it("runs the README's library example as written, embedded, and writes its report", async () => {
    const code = readmeExample();
    expect(code).toContain('from "@maspo/run"');
    const out = await tempDir();
    const script = join(ROOT, `readme-example-${process.pid}.tmp.mjs`);
    writeFileSync(
      script,
      code
        .replace('"examples/math-chain.yaml"', JSON.stringify(SMALL_SPEC))
        .replace('"examples"', JSON.stringify(join(ROOT, "test/fixtures")))
        .replace('"maspo-out/demo"', JSON.stringify(out)),
    );
    try {
      const run = spawnSync(process.execPath, [script], { cwd: ROOT, encoding: "utf8", timeout: 100_000 });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain(join(out, "report.md"));
      const report = await readReport(out);
      expect(Object.keys(report.finalPrompts).sort()).toEqual(["formatter", "planner", "solver"]);
      expect(run.stdout).toContain(`"final":${report.delta.heldOut.final}`);
    } finally {
      rmSync(script, { force: true });
    }
  }, 120_000);
});

import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { moduleMetricScorer } from "./module-metric.js";

async function metricFile(source: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "maspo-metric-"));
  const file = join(dir, "metric.mjs");
  await writeFile(file, source);
  return file;
}

const EXAMPLE = { id: "q7", input: "2 + 2?", label: "4", fields: { unit: "apples" } };

describe("the module metric", () => {
  it("scores with the named export, sync or async, seeing the example's label and fields", async () => {
    const path = await metricFile(
      "export default (out, ex) => (out.includes(ex.label) ? 1 : 0);\nexport async function withUnit(out, ex) { return out.endsWith(ex.fields.unit) ? 1 : 0.25; }",
    );
    expect(await moduleMetricScorer({ kind: "module", path, export: "default" })("it is 4", EXAMPLE)).toBe(1);
    expect(await moduleMetricScorer({ kind: "module", path, export: "withUnit" })("4 apples", EXAMPLE)).toBe(1);
    expect(await moduleMetricScorer({ kind: "module", path, export: "withUnit" })("4 pears", EXAMPLE)).toBe(0.25);
  });

  it("fails loudly, naming the example, when the metric throws", async () => {
    const path = await metricFile('export default (out, ex) => { if (ex.id === "q7") throw new Error("no unit given"); return 1; };');
    const error = await moduleMetricScorer({ kind: "module", path, export: "default" })("4", EXAMPLE).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "E_METRIC_MODULE" });
    expect(String((error as Error).message)).toMatch(/threw on example "q7": no unit given/);
  });

  it.each([
    ["a number above 1", "1.5", /returned 1\.5/],
    ["NaN", "NaN", /returned NaN/],
    ["nothing", "undefined", /returned undefined/],
    ["a string", '"1"', /returned the string "1"/],
  ])("fails loudly when the metric returns %s instead of a score in [0, 1]", async (_what, value, message) => {
    const path = await metricFile(`export default () => ${value};`);
    const error = await moduleMetricScorer({ kind: "module", path, export: "default" })("4", EXAMPLE).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "E_METRIC_MODULE" });
    expect(String((error as Error).message)).toMatch(message);
    expect(String((error as Error).message)).toMatch(/on example "q7"/);
  });

  it("fails every scoring with the reason when the module cannot be used where it runs", async () => {
    const path = await metricFile("export const notAFunction = 3;");
    const error = await moduleMetricScorer({ kind: "module", path, export: "notAFunction" })("4", EXAMPLE).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "E_METRIC_MODULE_LOAD" });
    expect(String((error as Error).message)).toMatch(/an export of type number/);
  });
});

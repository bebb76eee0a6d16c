import { ABLATION_FLAGS, ABLATION_WARNINGS, NO_ABLATIONS, loadSpecFile } from "@maspo/core";
import { describe, expect, it } from "vitest";
import { assertLensesKept } from "./run-job.js";

const SPEC = new URL("../../../examples/math-chain.yaml", import.meta.url).pathname;
const withWeights = (local: number, lookahead: number, global: number) =>
  loadSpecFile(SPEC, { overrides: [{ path: "weights", value: { local, lookahead, global, reason: "a test of the lens guard" } }] });

describe("the escalation protocol's lens guard", () => {
  it("refuses weights that drop a lens unless the run is declared the matching ablation", async () => {
    expect(assertLensesKept.bind(null, await withWeights(0.5, 0, 0.5), NO_ABLATIONS)).toThrow(/weights\.lookahead is 0.*--no-lookahead/);
    expect(assertLensesKept.bind(null, await withWeights(0.5, 0.5, 0), NO_ABLATIONS)).toThrow(/weights\.global is 0.*--independent/);
    expect(assertLensesKept.bind(null, await withWeights(0, 0, 1), NO_ABLATIONS)).toThrow(/--global-only/);
  });

  it("lets the declared ablation, and any weights that keep every lens, through", async () => {
    expect(assertLensesKept.bind(null, await withWeights(0.5, 0, 0.5), { ...NO_ABLATIONS, noLookahead: true })).not.toThrow();
    expect(assertLensesKept.bind(null, await withWeights(0, 0, 1), { ...NO_ABLATIONS, globalOnly: true })).not.toThrow();
    expect(assertLensesKept.bind(null, await withWeights(0.4, 0.4, 0.2), NO_ABLATIONS)).not.toThrow();
  });

  it("has a warning, in the method's words, for every ablation flag", () => {
    expect(Object.keys(ABLATION_WARNINGS).sort()).toEqual(Object.keys(ABLATION_FLAGS).sort());
  });
});

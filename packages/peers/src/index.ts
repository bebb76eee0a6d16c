/**
 * @maspo/peers: bench baselines, not product. The optimizers maspo must beat at an equal budget —
 * GEPA (and GEPA proposing every component), a MIPRO/TPE-style instruction search, SPO, random
 * search — each run on maspo's own machinery (executor, evaluator and mutator task adapters, the LLM
 * client with its cache) and metered in LLM calls sent. bench/quality.js runs them.
 *
 * @example
 * ```ts
 * import { runPeer } from "@maspo/peers";
 * const r = await runPeer({ peer: "gepa-all", spec, specDir: "examples", env: process.env, budget: 5000 });
 * console.log(r.heldOut.final, r.spent.calls, r.anytime);
 * ```
 */
export { PEERS, PEER_NAMES, runPeer, type PeerDefinition, type PeerName, type PeerRunInput, type PeerRunResult } from "./run-peer.js";
export { BUDGET_POINTS, anytimeCurve, type AnytimePoint } from "./anytime.js";
export { meterCalls, type CallMeter, type Spend } from "./call-meter.js";
export { SearchBudget, bestWithin, samePrompts, type PromptSet, type Snapshot } from "./search-budget.js";
export { openMachinery, runAll, scoresOf, type OpenMachineryOptions, type OpenedMachinery, type PeerMachinery } from "./machinery.js";
export { gepa, type GepaOptions } from "./gepa.js";
export { mipro, type MiproOptions } from "./mipro.js";
export { spo, type SpoOptions } from "./spo.js";
export { randomSearch } from "./random-search.js";

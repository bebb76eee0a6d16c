import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import { endpointSlotKey, processConcurrency } from "@maspo/llm";
import { createWorldService, listenSimServer, loadWorld } from "@maspo/simlm";
import { loadSweepPlan } from "./sweep-plan.js";
import { sweep } from "./sweep.js";

const SMALL_SPEC = new URL("../../../../test/fixtures/math-chain-small.yaml", import.meta.url).pathname;
const dirs: string[] = [];

/** The parts of a spec document this test rewrites. */
interface SpecDocument {
  models: Record<string, Record<string, unknown>>;
  search: Record<string, unknown>;
  dataset: { source: Record<string, unknown> };
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** simlm's math-chain world over HTTP, counting the requests in flight per model (the endpoint's own view). */
async function countingSim() {
  // A few ms per call so that calls overlap at the server, as real ones do; nothing here is timed.
  const inner = createWorldService({ world: loadWorld("math-chain"), realism: { latency: { fixedMs: 5, perOutputTokenMs: 0 } } });
  const inFlight = new Map<string, number>();
  const peak = new Map<string, number>();
  const server = await listenSimServer({
    backend: inner.backend,
    realism: inner.realism,
    get inFlight() {
      return inner.inFlight;
    },
    async handle(request, sink, signal) {
      if (!request.path.includes("chat/completions")) return inner.handle(request, sink, signal);
      const model = String((JSON.parse(request.body) as { model?: unknown }).model);
      inFlight.set(model, (inFlight.get(model) ?? 0) + 1);
      peak.set(model, Math.max(peak.get(model) ?? 0, inFlight.get(model) ?? 0));
      try {
        return await inner.handle(request, sink, signal);
      } finally {
        inFlight.set(model, (inFlight.get(model) ?? 1) - 1);
      }
    },
    close: () => inner.close(),
  });
  return { url: server.url, peak, close: () => server.close() };
}

describe("a sweep's runs in one process", () => {
  it("share one concurrency budget per endpoint: never more than its concurrency in flight at the endpoint, several runs' calls at once", async () => {
    const sim = await countingSim();
    const dir = await mkdtemp(join(tmpdir(), "maspo-sweep-shared-"));
    dirs.push(dir);
    try {
      // The small spec on the HTTP server, every endpoint at concurrency 3, one round, 8 + 8 examples: 8 runs of it.
      const raw = parse(await readFile(SMALL_SPEC, "utf8")) as SpecDocument;
      for (const model of Object.values(raw.models)) {
        model.baseURL = sim.url;
        model.concurrency = 3;
      }
      raw.search = { ...raw.search, rounds: 1 };
      raw.dataset.source = { ...raw.dataset.source, train: 8, heldOut: 8 };
      const base = join(dir, "base.yaml");
      await writeFile(base, stringify(raw));
      const file = join(dir, "sweep.yaml");
      await writeFile(file, stringify({ name: "shared", base, seeds: [1, 2, 3, 4, 5, 6, 7, 8], maxParallel: 8 }));
      const plan = await loadSweepPlan(file, { env: {}, checkEnv: false });

      // Who holds the agent endpoint's slots, as each is granted: one owner per run's LLM client.
      const agentKey = endpointSlotKey({ id: "sim", baseURL: sim.url, model: "sim-agent", apiKeyEnv: undefined });
      const slots = processConcurrency();
      const acquire = slots.acquire.bind(slots);
      const holding = new Map<object, number>();
      const owners = new Set<object>();
      let mostOwnersAtOnce = 0;
      const spy = vi.spyOn(slots, "acquire").mockImplementation(async (key, limit, owner) => {
        const slot = await acquire(key, limit, owner);
        if (key !== agentKey) return slot;
        owners.add(owner);
        holding.set(owner, (holding.get(owner) ?? 0) + 1);
        mostOwnersAtOnce = Math.max(mostOwnersAtOnce, [...holding.values()].filter((n) => n > 0).length);
        let held = true;
        return {
          release: () => {
            if (held) holding.set(owner, (holding.get(owner) ?? 1) - 1);
            held = false;
            slot.release();
          },
        };
      });
      let outcome;
      try {
        outcome = await sweep({ plan, outDir: join(dir, "out"), resume: false, env: {} });
      } finally {
        spy.mockRestore();
      }
      expect(outcome.summary.runs.map((r) => r.status)).toEqual(Array(8).fill("done"));
      // Each run took slots of the one budget, and several runs held slots of it at once ...
      expect(owners.size).toBe(8);
      expect(mostOwnersAtOnce).toBeGreaterThan(1);
      // ... yet the endpoint never saw more than its concurrency (8 runs with a budget each could send 24), and saw it reached.
      expect(sim.peak.get("sim-agent")).toBe(3);
      expect(sim.peak.get("sim-judge")).toBeLessThanOrEqual(3);
    } finally {
      await sim.close();
    }
  }, 120_000);
});

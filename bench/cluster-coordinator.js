/**
 * A cluster coordinator as its own process, for the cluster benchmark's memory figures: runs one spec
 * with the run library's runCluster against a pool of `maspo worker` processes, samples its own RSS
 * while it runs, and prints one JSON line — tasks by role, peak RSS and the samples — on stdout.
 *
 *   node bench/cluster-coordinator.js <spec.yaml> <nats-url> <run-id> <out-dir>
 */
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import { clearInterval, setInterval } from "node:timers";
import { loadSpecFile, NO_ABLATIONS } from "@maspo/core";
import { runCluster, SILENT_PROGRESS } from "@maspo/run";

const [specFile, natsUrl, runId, outDir] = process.argv.slice(2);
if (!specFile || !natsUrl || !runId || !outDir) throw new Error("usage: cluster-coordinator.js <spec> <nats-url> <run-id> <out-dir>");

const started = performance.now();
const samples = [];
const sample = () => samples.push({ seconds: (performance.now() - started) / 1000, rssMiB: process.memoryUsage.rss() / 2 ** 20 });
const timer = setInterval(sample, 250);
const spec = await loadSpecFile(specFile, { env: {} });
const { tasks } = await runCluster({
  spec,
  specDir: dirname(specFile),
  outDir,
  runId,
  resume: false,
  ablations: NO_ABLATIONS,
  nats: { servers: natsUrl },
  progress: SILENT_PROGRESS,
  log: () => undefined,
});
clearInterval(timer);
sample();
process.stdout.write(
  `${JSON.stringify({ tasks, peakRssMiB: process.resourceUsage().maxRSS / 1024, seconds: (performance.now() - started) / 1000, samples })}\n`,
);

/**
 * `npm run bench` (= `tsc -b && node bench/run.js`): the benchmarks, run in process against the built
 * packages. Each suite is one module; with no suite flag every suite runs.
 *
 *   node bench/run.js                      every suite
 *   node bench/run.js --quality            the quality benchmark only (bench/quality.js)
 *   node bench/run.js --quality --only math-chain --seeds 1,2 --configs full,independent --jobs 1
 *   node bench/run.js --quality --only math-chain --seeds 1,2 --configs full,gepa-all,spo   (peers need full MASPO's calls)
 *   node bench/run.js --quality --render   quality.md and anytime.html again from quality.json, running nothing
 *   node bench/run.js --quality --resume   finish a stopped quality bench: only the runs its journal lacks (bench/quality-journal.js)
 *   node bench/run.js --cluster            the cluster benchmark only (bench/cluster.js)
 *   node bench/run.js --cluster --only transport,memory   some of its sections, figures printed, no files written
 */
import { parseArgs } from "node:util";
import { runClusterBench } from "./cluster.js";
import { CONFIGS, renderQualityResults, runQualityBench } from "./quality.js";

const SUITES = {
  quality: async (flags) => {
    const list = (v) =>
      v === undefined
        ? undefined
        : v
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean);
    const seeds = list(flags.seeds)?.map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n)) throw new Error(`--seeds: expected integers separated by commas, found "${flags.seeds}"`);
      return n;
    });
    const jobs = flags.jobs === undefined ? undefined : Number(flags.jobs);
    if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1))
      throw new Error(`--jobs: expected a whole number ≥ 1, found "${flags.jobs}"`);
    const configs = list(flags.configs);
    const unknown = (configs ?? []).filter((c) => !CONFIGS.some((k) => k.name === c));
    if (unknown.length > 0)
      throw new Error(`--configs: unknown ${unknown.join(", ")}; expected some of ${CONFIGS.map((c) => c.name).join(", ")}`);
    const result = flags.render
      ? await renderQualityResults()
      : await runQualityBench({
          ...(flags.only !== undefined ? { worlds: list(flags.only) } : {}),
          ...(seeds ? { seeds } : {}),
          ...(configs ? { configs } : {}),
          ...(jobs ? { jobs } : {}),
          ...(flags.resume ? { resume: true } : {}),
          command: ["node bench/run.js", ...process.argv.slice(2)].join(" "),
        });
    const t = result.summary.targets;
    const verdict = (name, target) => `${name} ${target.met ? "met" : "NOT met"}`;
    console.log(
      `quality: ${[
        verdict("ahead of every peer", t.aheadOfPeers),
        verdict("ahead of every ablation", t.aheadOfAblations),
        verdict("median ≥ 90%, no run < 50%", t.medianAndFloor),
        verdict("anytime", t.anytime),
        verdict("cost", t.cost),
      ].join("; ")}; bench/results/quality.md, anytime.html`,
    );
  },
};

SUITES.cluster = async (flags) => {
  const only = flags.only?.split(",").map((s) => s.trim());
  await runClusterBench({ command: ["node bench/run.js", ...process.argv.slice(2)].join(" "), ...(only ? { only } : {}) });
  if (!only) console.log("cluster: bench/results/cluster.md");
};

const { values: flags } = parseArgs({
  options: {
    quality: { type: "boolean" },
    cluster: { type: "boolean" },
    only: { type: "string" },
    seeds: { type: "string" },
    configs: { type: "string" },
    jobs: { type: "string" },
    render: { type: "boolean" },
    resume: { type: "boolean" },
  },
  strict: true,
});

const chosen = Object.keys(SUITES).filter((name) => flags[name] === true);
for (const name of chosen.length > 0 ? chosen : Object.keys(SUITES)) await SUITES[name](flags);

// The layering of the workspace's packages, in one table: read by eslint.config.js (an import
// outside it is a lint error) and by test/package-layers.test.ts (each package.json lists exactly it).
/**
 * What each package may import besides node: built-ins and its own files — the one table of the
 * layering. Each package depends only on packages below it; simlm, the test world, is imported by
 * no product package but the run library (for `simlm://` endpoints and datasets) and the CLI (`maspo sim`).
 */
export const LAYERS = {
  core: ["csv-parse", "zod", "yaml"],
  llm: ["@maspo/core", "openai", "p-limit", "zod"],
  cluster: ["@maspo/core", "@maspo/llm", "@nats-io/jetstream", "@nats-io/kv", "@nats-io/transport-node", "msgpackr", "prom-client", "zod"],
  simlm: ["@maspo/core", "@maspo/llm", "yaml", "zod"],
  executor: ["@maspo/core"],
  evaluator: ["@maspo/core", "@maspo/executor", "zod"],
  mutator: ["@maspo/core", "zod"],
  coordinator: ["@maspo/core", "zod"],
  run: [
    "@maspo/core",
    "@maspo/llm",
    "@maspo/cluster",
    "@maspo/simlm",
    "@maspo/executor",
    "@maspo/evaluator",
    "@maspo/mutator",
    "@maspo/coordinator",
    "p-limit",
    "pino",
    "zod",
  ],
  cli: ["@maspo/core", "@maspo/cluster", "@maspo/coordinator", "@maspo/run", "@maspo/simlm", "cli-progress", "commander", "pino"],
  // Bench baselines, not product: the peer optimizers, on the run library's machinery.
  peers: ["@maspo/core", "@maspo/llm", "@maspo/run"],
};

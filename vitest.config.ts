import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const pkg = (name: string, file = "index") => fileURLToPath(new URL(`./packages/${name}/src/${file}.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Unit tests run against the sources; cross-process tests in test/ spawn the built CLI.
    alias: {
      "@maspo/evaluator/internal": pkg("evaluator", "internal"),
      "@maspo/mutator/internal": pkg("mutator", "internal"),
      "@maspo/coordinator/internal": pkg("coordinator", "internal"),
      "@maspo/core": pkg("core"),
      "@maspo/llm": pkg("llm"),
      "@maspo/cluster": pkg("cluster"),
      "@maspo/simlm": pkg("simlm"),
      "@maspo/executor": pkg("executor"),
      "@maspo/evaluator": pkg("evaluator"),
      "@maspo/mutator": pkg("mutator"),
      "@maspo/coordinator": pkg("coordinator"),
      "@maspo/run": pkg("run"),
      "@maspo/cli": pkg("cli"),
      "@maspo/peers": pkg("peers"),
    },
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    // Installs (as root) or asks for nats-server before any test runs: `npm test` needs no other step.
    globalSetup: ["test/setup/system-tools.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
  },
});

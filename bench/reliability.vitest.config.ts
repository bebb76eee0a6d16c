/**
 * `npm run bench:reliability`: the root vitest config (same package aliases, nats-server set-up) with
 * only the reliability bench included and no per-test time limit that a full count could hit.
 */
import { defineConfig } from "vitest/config";
import base from "../vitest.config.js";

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["bench/reliability.bench.ts"],
    testTimeout: 4 * 3_600_000,
    hookTimeout: 600_000,
    maxWorkers: 1,
  },
});

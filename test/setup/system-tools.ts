/**
 * vitest global set-up: `npm test` prepares the machine itself. The cross-process tests need a real
 * nats-server, and the dashboard test a real Prometheus (Debian's packages; no mock anywhere). When
 * one is missing, a root user gets it installed here, as .ci/run does; anyone else is stopped at once
 * with the exact command to run, instead of a suite of failures.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Where Debian's nats-server package puts the binary (and where a manual install usually does). */
export const NATS_SERVER_PATHS = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];

/** Where Debian's prometheus package puts the binary (and where a manual install usually does). */
export const PROMETHEUS_PATHS = ["/usr/bin/prometheus", "/usr/sbin/prometheus", "/usr/local/bin/prometheus"];

/** Each system tool the tests run, as Debian packages it. */
const TOOLS = [
  { pkg: "nats-server", paths: NATS_SERVER_PATHS },
  { pkg: "prometheus", paths: PROMETHEUS_PATHS },
];

export default function setup(): void {
  const missing = TOOLS.filter((t) => !t.paths.some((p) => existsSync(p)));
  if (missing.length === 0) return;
  const pkgs = missing.map((t) => t.pkg);
  const install = `apt-get update && apt-get install -y ${pkgs.join(" ")}`;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `npm test needs ${pkgs.join(" and ")} (Debian packages) and this user cannot install them; run:\n\n  sudo sh -c '${install}'\n`,
    );
  }
  process.stderr.write(`npm test: ${pkgs.join(" and ")} missing; installing the Debian package${pkgs.length > 1 ? "s" : ""}\n`);
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...pkgs], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  for (const t of missing) {
    if (!t.paths.some((p) => existsSync(p))) throw new Error(`apt-get installed ${t.pkg}, but it is in none of ${t.paths.join(", ")}`);
  }
}

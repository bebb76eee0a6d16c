/**
 * vitest global set-up: `npm test` prepares the machine itself. The cross-process tests need a real
 * nats-server (Debian's package; no mock NATS anywhere). When it is missing, a root user gets it
 * installed here, as .ci/run does; anyone else is stopped at once with the exact command to run,
 * instead of a suite of failures.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Where Debian's nats-server package puts the binary (and where a manual install usually does). */
export const NATS_SERVER_PATHS = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];

const INSTALL = "apt-get update && apt-get install -y nats-server";

export default function setup(): void {
  if (NATS_SERVER_PATHS.some((p) => existsSync(p))) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`npm test needs nats-server (the Debian package) and this user cannot install it; run:\n\n  sudo sh -c '${INSTALL}'\n`);
  }
  process.stderr.write("npm test: nats-server is missing; installing the Debian package nats-server\n");
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  execFileSync("apt-get", ["install", "-y", "-qq", "nats-server"], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (!NATS_SERVER_PATHS.some((p) => existsSync(p)))
    throw new Error(`apt-get installed nats-server, but it is in none of ${NATS_SERVER_PATHS.join(", ")}`);
}

// Writes the per-role NATS users (renderRoleAuthorization of @maspo/cluster) into deploy/: the file
// deploy/nats/maspo-auth.conf and the `maspo-auth.conf` key of the ConfigMap in
// deploy/kubernetes/nats.yaml. Build first (`npx tsc -b`); test/cluster-permissions.test.ts fails
// while either differs from this output.
import { readFileSync, writeFileSync } from "node:fs";
import { renderRoleAuthorization } from "@maspo/cluster";

const rendered = renderRoleAuthorization();
const conf = new URL("../deploy/nats/maspo-auth.conf", import.meta.url);
writeFileSync(conf, rendered);

const manifest = new URL("../deploy/kubernetes/nats.yaml", import.meta.url);
const text = readFileSync(manifest, "utf8");
// The block scalar runs from its key to the first line indented less than its content (4 spaces).
const block = /( {2}maspo-auth\.conf: \|\n)((?: {4}.*\n|\n)*)/;
if (!block.test(text)) throw new Error(`${manifest.pathname} has no "  maspo-auth.conf: |" block to replace`);
const indented = rendered
  .split("\n")
  .map((line) => (line === "" ? "" : `    ${line}`))
  .join("\n");
writeFileSync(
  manifest,
  text.replace(block, (_, key) => `${key}${indented}`),
);
console.log(`wrote ${conf.pathname} and the maspo-auth.conf of ${manifest.pathname}`);

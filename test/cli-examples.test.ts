// Every bundled example spec validates with `maspo validate`, without any API key set.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "@maspo/cli";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const exampleFiles = readdirSync(join(REPO, "examples"))
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

describe("examples", () => {
  it("include the inline arithmetic example", () => {
    expect(exampleFiles).toContain("inline-arithmetic.yaml");
  });

  it.each(exampleFiles)("examples/%s passes maspo validate", async (file) => {
    let out = "";
    let err = "";
    const status = await main(["node", "maspo", "validate", `examples/${file}`], {
      out: (t) => (out += t),
      err: (t) => (err += t),
      env: {},
      cwd: REPO,
    });
    expect(err).toBe("");
    expect(out).toMatch(/^ok: /);
    expect(status).toBe(0);
  });
});

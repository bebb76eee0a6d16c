/** The installed version of maspo, read from the cli package's own package.json. */
import { readFileSync } from "node:fs";
import { MaspoError } from "@maspo/core";

export function cliVersion(): string {
  // src/ and dist/ both sit one level below the package root.
  const file = new URL("../package.json", import.meta.url);
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (parsed !== null && typeof parsed === "object" && "version" in parsed && typeof parsed.version === "string") {
    return parsed.version;
  }
  throw new MaspoError("E_PACKAGE_JSON", `${file.pathname} has no "version" string: reinstall maspo`);
}

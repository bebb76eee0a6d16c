// Writes docs/errors.md from the error catalogue; `npm run docs:errors` builds core first. The unit
// test packages/core/src/error-codes.test.ts fails while the committed file differs from this output.
import { writeFileSync } from "node:fs";
import { renderErrorDocs } from "@maspo/core";

const target = new URL("../docs/errors.md", import.meta.url);
writeFileSync(target, renderErrorDocs());
console.log(`wrote ${target.pathname}`);

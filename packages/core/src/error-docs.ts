/**
 * docs/errors.md, rendered from the catalogue so the doc cannot say something the code does not.
 * Pure (no file access): `npm run docs:errors` writes it, and a unit test compares the committed file.
 */
import { ERROR_AREAS, ERROR_CODES, EXIT_FAMILIES, type ErrorArea, type ErrorCode } from "./error-codes.js";

export function renderErrorDocs(): string {
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];
  const lines = [
    "<!-- Generated from packages/core/src/error-codes.ts by `npm run docs:errors`; do not edit by hand. -->",
    "",
    "# Error codes",
    "",
    "Every error maspo throws carries a stable code: scripts, metrics labels and result records match on it, and its",
    "message says what to do. The exit column is how the `maspo` command exits when an error of that code reaches it:",
    "",
    "- **0** done",
    ...Object.values(EXIT_FAMILIES).map((f) => `- **${f.status}** ${f.meaning}`),
    "",
    "A task's error does not reach the command under its own code: the coordinator fails the run with `E_CLUSTER_TASK`",
    "(exit 1), whose message names the worker's code and message, in the embedded mode as on a cluster.",
    "",
  ];
  for (const [area, title] of Object.entries(ERROR_AREAS) as [ErrorArea, string][]) {
    const inArea = codes.filter((code) => ERROR_CODES[code].area === area);
    if (inArea.length === 0) continue;
    lines.push(`## ${title}`, "", "| Code | Exit | Meaning and what to do |", "| --- | --- | --- |");
    for (const code of inArea) {
      const { exit, doc } = ERROR_CODES[code];
      lines.push(`| \`${code}\` | ${EXIT_FAMILIES[exit].status} (${exit}) | ${tableCell(doc)} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

// A `|` would end the cell early.
function tableCell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

// Lint for the whole workspace. Type-aware, so that a floating promise (a task result nobody awaits
// or handles) is an error, not a lost failure. It also holds the layering (shared/architecture.md):
// npm workspaces hoist every dependency, so a package.json cannot stop a package importing what it
// must not; the rule below can.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { LAYERS } from "./eslint.layers.js";

const layering = Object.entries(LAYERS).map(([pkg, allowed]) => ({
  files: [`packages/${pkg}/src/**/*.ts`],
  ignores: [`packages/${pkg}/src/**/*.test.ts`, `packages/${pkg}/src/**/*.fixture.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          {
            // Anything that is neither a relative path, a node: built-in, nor an allowed package.
            regex: `^(?!\\.|node:|(${allowed.map((a) => a.replace(/[/.]/g, "\\$&")).join("|")})$)`,
            message: `packages/${pkg} may import only ${allowed.join(", ")} (see eslint.layers.js and shared/architecture.md)`,
          },
          {
            // A relative path out of the package: every package is reached through its public surface.
            regex: "^(\\.\\./)+\\.\\./(packages/)?[a-z]+/src/",
            message: "import another package by its name (@maspo/<name>), never by a path into its sources",
          },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "bench/results/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { project: "./tsconfig.check.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-empty": ["error", { allowEmptyCatch: false }],
    },
  },
  ...layering,
  {
    // Tests and bench scripts reach packages through their names too (vitest resolves them to sources).
    files: ["test/**/*.ts", "bench/**/*.js", "packages/*/src/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ regex: "^(\\.\\./)+packages/[a-z]+/(src|dist)/", message: "import a package by its name (@maspo/<name>)" }] },
      ],
    },
  },
  {
    files: ["**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);

// Writes examples/data/mbpp-sample.jsonl: a small MBPP-shaped dataset (task_id, text, code, test_list,
// test_setup_code, challenge_test_list) whose problems are those of the simlm world code-tests, so that
// examples/code-tests.yaml runs offline with the tests executed for real. The reference code is what the
// world's coder writes when it is right; each test's expected value is computed by running that code with
// python3. Deterministic: run it again (after `tsc -b`) and the file is the same.
// test/code-tests-example.test.ts checks the committed file: every reference solution passes its tests
// in the sandbox, and the world's wrong solutions fail them.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { extractCode } from "@maspo/core";
import { generateDataset, loadWorld, oracle, runGraphDirect } from "@maspo/simlm";

const PER_TEMPLATE = 6;
const SEED = 5;

/** Test calls per function, as Python argument lists; `c` is the problem's first constant. */
const CALLS = {
  scale_sum: () => ["[1, 2, 3]", "[0]", "[5, 10]"],
  add_bangs: () => ['"hi"', '""', '"ok go"'],
  count_above: (c) => [`[${c}, ${c + 1}, ${c + 5}]`, `[1, ${c + 1}, ${c + 2}, ${c + 3}, ${c + 10}]`, `[${c + 1}]`],
  repeat_items: () => ["[1, 2]", '["a"]', "[3, 1, 2]"],
  sum_multiples: () => ["50", "100", "37"],
  rotate_left: () => ["[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", '["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]'],
  caesar: () => ['"abc"', '"xyz"', '"hello, world"'],
  power_sum: () => ["2", "3", "5"],
};

function functionName(text) {
  const m = /Write a function (\w+)\(/.exec(text);
  if (!m || !(m[1] in CALLS)) throw new Error(`no test calls for: ${text}`);
  return m[1];
}

/** The code the world's coder writes when it is right, taken from its fenced block. */
function referenceCode(world, best, example) {
  for (let seed = 0; seed < 200; seed++) {
    const run = runGraphDirect(world, best, example, { seed });
    if (run.score === 1) return extractCode(run.final, "python");
  }
  throw new Error(`the world never solved ${example.id}`);
}

/** Each call's value, as Python prints it (repr), from running the reference code. */
function expectedValues(code, name, calls) {
  return calls.map((call) => execFileSync("python3", ["-c", `${code}\nprint(repr(${name}(${call})))`], { encoding: "utf8" }).trim());
}

const world = loadWorld("code-tests");
const best = oracle(world).best;
const { train, heldOut } = generateDataset(world, { seed: SEED });
const perName = new Map();
const seen = new Set();
const rows = [];
for (const example of [...train, ...heldOut]) {
  const name = functionName(example.input);
  if ((perName.get(name) ?? 0) >= PER_TEMPLATE || seen.has(example.input)) continue;
  seen.add(example.input);
  perName.set(name, (perName.get(name) ?? 0) + 1);
  const code = referenceCode(world, best, example);
  const calls = CALLS[name](Number(example.label));
  const values = expectedValues(code, name, calls);
  rows.push({
    text: example.input,
    code,
    test_list: calls.map((call, i) => `assert ${name}(${call}) == ${values[i]}`),
    test_setup_code: "",
    challenge_test_list: [],
  });
}
// Problems in the world's generation order (templates interleaved), numbered like MBPP's task ids.
const lines = rows.map((r, i) => JSON.stringify({ task_id: 601 + i, ...r }));
const target = new URL("../examples/data/mbpp-sample.jsonl", import.meta.url);
writeFileSync(target, `${lines.join("\n")}\n`);
console.log(`wrote ${rows.length} problems to ${target.pathname}`);

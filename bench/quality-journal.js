/**
 * The quality bench's journal: every finished run's row, appended as it comes (one JSON line), in a
 * file named after the code it measured. The full bench is hours of CPU on a small machine; with the
 * journal a bench that was stopped (or that ran out of a session) is finished later by `--resume`,
 * which runs only the world × configuration × seed rows the journal lacks. A row is only ever reused
 * for the exact code that produced it: the file's name is a hash of every source, world and example
 * spec the bench reads, so any change to them starts a new journal.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { appendFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, relative } from "node:path";

/** What a bench row measured depends on: the packages' sources (not their tests), the worlds, the example specs, the bench. */
const MEASURED = ["packages", "examples", "bench"];

/** A hash of every file a row's figures depend on, in a stable order. */
export async function codeIdentity(root) {
  const hash = createHash("sha256");
  const files = (await Promise.all(MEASURED.map((d) => filesUnder(join(root, d))))).flat().filter(measured).sort();
  for (const file of files) {
    hash.update(relative(root, file));
    hash.update("\u0000");
    hash.update(await readFile(file));
    hash.update("\u0000");
  }
  return hash.digest("hex").slice(0, 16);
}

function measured(file) {
  if (/\.test\.ts$|\.fixture\.ts$/.test(file)) return false;
  if (file.includes("/bench/results/")) return false;
  return /\/(src|worlds)\//.test(file) || /\/examples\/[^/]+\.ya?ml$/.test(file) || /\/bench\/quality[^/]*\.js$/.test(file);
}

async function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Where the journal of this code lives unless told: outside the repository, so it is never committed. */
export function defaultJournalPath(identity) {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "maspo-bench", `quality-${identity}.jsonl`);
}

const keyOf = (world, config, seed) => `${world}\u0000${config}\u0000${seed}`;

/**
 * The journal at `path`: its rows by world, configuration and seed when resuming, and `append` for
 * each new row. Without `resume` it starts empty (an earlier journal of the same code is replaced).
 */
export async function openJournal(path, { resume }) {
  await mkdir(dirname(path), { recursive: true });
  const rows = new Map();
  if (resume && existsSync(path)) {
    const lines = (await readFile(path, "utf8")).split("\n").filter(Boolean);
    for (const [i, line] of lines.entries()) {
      let row;
      try {
        row = JSON.parse(line);
      } catch {
        // The last line of a bench killed mid-write: that run is done again.
        if (i === lines.length - 1) continue;
        throw new Error(`${path}: line ${i + 1} is not JSON; delete the file to start the bench afresh`);
      }
      rows.set(keyOf(row.world, row.config, row.seed), row);
    }
  } else {
    await writeFile(path, "");
  }
  return {
    path,
    /** Rows reused from the journal. */
    get reused() {
      return rows.size;
    },
    done: (task) => rows.get(keyOf(task.worldName, task.config, task.seed)),
    append: (row) => appendFile(path, `${JSON.stringify(row)}\n`),
  };
}

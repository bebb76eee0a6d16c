/**
 * The response cache on disk, for embedded runs: one JSON file per key under `<dir>/<first two hex
 * chars>/<key>.json`. Writes go to a temp file and are renamed into place, so a reader (or a crash)
 * never sees half an entry; concurrent writers of one key write the same content, so the last rename
 * winning is harmless. A corrupt entry is a miss, counted in `corruptEntries`, and is overwritten by
 * the next successful call.
 *
 * What this cache wrote or read is also kept in memory (the most recent MEMORY_ENTRIES), so a run
 * asking again for an answer it has seen — most of a run's cache hits — reads no file: entries are
 * content-addressed, so the file could only hold the same answer.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { ResponseCacheError } from "./llm-error.js";
import { cachedCompletionSchema, type CachedCompletion, type ResponseCache } from "./response-cache.js";

const ENTRY_VERSION = 1;

const entrySchema = z.object({
  v: z.literal(ENTRY_VERSION),
  key: z.string(),
  value: cachedCompletionSchema,
  /**
   * When it was paid for: wall-clock ms with a fraction (entries written before it was kept have
   * none). A file's mtime would not do: it is only as fine as the kernel's clock tick (ms), and the
   * next step's first answer can land in the tick its run's checkpoint was written in.
   */
  paidAt: z.number().optional(),
});

/** Wall-clock ms with a fraction, comparable across processes of one machine. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

const KEY_PATTERN = /^[0-9a-f]{16,128}$/;

/** Entries kept in memory per cache (about 1 KiB each): a run's recent answers, which is where its repeats come from. */
export const MEMORY_ENTRIES = 10_000;

/** An entry as this cache last saw it: its answer and when it was paid for. */
interface Remembered {
  value: CachedCompletion;
  paidAt: number | undefined;
}

export interface FileResponseCacheOptions {
  /** Told about each corrupt entry, e.g. to log it; the read is still a miss. */
  onCorrupt?: (file: string, reason: string) => void;
  /**
   * A resumed run: when its last checkpoint was written (epoch ms with a fraction, `preciseNow`). An entry paid for after it, and
   * not by this process, was paid for by the process that died after that checkpoint, and its spend
   * died with it: `takeUnpaid` says so once, so the resumed run counts it as the call it was.
   */
  unpaidAfterMs?: number;
  /** Entries kept in memory (default MEMORY_ENTRIES). */
  memoryEntries?: number;
}

export class FileResponseCache implements ResponseCache {
  /** Entries found unreadable (bad JSON, wrong shape, wrong key) and treated as misses. */
  corruptEntries = 0;
  private readonly onCorrupt: ((file: string, reason: string) => void) | undefined;
  private readonly unpaidAfterMs: number | undefined;
  /** Keys this process paid for (it wrote them) or has counted already: never unpaid. */
  private readonly counted = new Set<string>();
  private readonly unpaid = new Set<string>();
  /** Subdirectories made (or found) already: a mkdir per entry was the most expensive part of a write. */
  private readonly madeDirs = new Set<string>();
  /** What this cache wrote or read, least recently used first. */
  private readonly memory = new Map<string, Remembered>();
  private readonly memoryEntries: number;

  constructor(
    readonly dir: string,
    options: FileResponseCacheOptions = {},
  ) {
    this.onCorrupt = options.onCorrupt;
    this.unpaidAfterMs = options.unpaidAfterMs;
    this.memoryEntries = options.memoryEntries ?? MEMORY_ENTRIES;
  }

  takeUnpaid(key: string): boolean {
    if (!this.unpaid.delete(key)) return false;
    this.counted.add(key);
    return true;
  }

  async get(key: string): Promise<CachedCompletion | undefined> {
    const file = this.fileFor(key);
    const known = this.memory.get(key);
    if (known) {
      this.remember(key, known);
      this.noteUnpaid(key, known.paidAt);
      return copyOf(known.value);
    }
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if (isErrno(err, "ENOENT")) return undefined;
      throw new ResponseCacheError(`cannot read LLM cache entry ${file}: ${String(err)}; check the cache directory's permissions`, {
        cause: err,
      });
    }
    let reason: string;
    try {
      const parsed = entrySchema.safeParse(JSON.parse(text));
      if (parsed.success && parsed.data.key === key) {
        const { paidAt, value } = parsed.data;
        this.noteUnpaid(key, paidAt);
        this.remember(key, { value: copyOf(value), paidAt });
        return value;
      }
      reason = parsed.success ? `holds key ${parsed.data.key}` : `wrong shape: ${parsed.error.issues[0]?.message ?? "invalid"}`;
    } catch (err) {
      reason = `not JSON: ${err instanceof Error ? err.message : String(err)}`;
    }
    this.corruptEntries++;
    this.onCorrupt?.(file, reason);
    return undefined;
  }

  async set(key: string, value: CachedCompletion): Promise<void> {
    this.counted.add(key);
    const file = this.fileFor(key);
    const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
    const entry = { value: cachedCompletionSchema.parse(value), paidAt: preciseNow() };
    const body = JSON.stringify({ v: ENTRY_VERSION, key, ...entry });
    try {
      await this.writeTemp(join(this.dir, key.slice(0, 2)), tmp, body);
      await rename(tmp, file);
      this.remember(key, entry);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new ResponseCacheError(
        `cannot write LLM cache entry ${file}: ${String(err)}; check free space and the directory's permissions`,
        {
          cause: err,
        },
      );
    }
  }

  /** A resumed run: an entry paid for after its last checkpoint, by another process, is unpaid until counted. */
  private noteUnpaid(key: string, paidAt: number | undefined): void {
    if (this.unpaidAfterMs !== undefined && !this.counted.has(key) && paidAt !== undefined && paidAt > this.unpaidAfterMs)
      this.unpaid.add(key);
  }

  /** Keeps `entry` as the most recently used, dropping the least recently used beyond the bound. */
  private remember(key: string, entry: Remembered): void {
    this.memory.delete(key);
    this.memory.set(key, entry);
    if (this.memory.size > this.memoryEntries) this.memory.delete(this.memory.keys().next().value as string);
  }

  /** Writes the entry's temp file, making its subdirectory first unless this cache made it already (or again, if it was removed since). */
  private async writeTemp(subdir: string, tmp: string, body: string): Promise<void> {
    if (!this.madeDirs.has(subdir)) {
      await mkdir(subdir, { recursive: true });
      this.madeDirs.add(subdir);
    }
    try {
      await writeFile(tmp, body, "utf8");
    } catch (err) {
      if (!isErrno(err, "ENOENT")) throw err;
      this.madeDirs.delete(subdir);
      await mkdir(subdir, { recursive: true });
      this.madeDirs.add(subdir);
      await writeFile(tmp, body, "utf8");
    }
  }

  private fileFor(key: string): string {
    // Keys are hashes; anything else could walk out of the cache directory.
    if (!KEY_PATTERN.test(key)) throw new ResponseCacheError(`LLM cache key ${JSON.stringify(key)} is not a lowercase hex digest`);
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }
}

/** A caller's own copy: one mutating its answer cannot change what the cache holds. */
function copyOf(value: CachedCompletion): CachedCompletion {
  return { ...value, usage: { ...value.usage } };
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

/**
 * Where the run state is kept between steps. The embedded mode writes a file in the run's output
 * directory (atomically: a crash mid-write leaves the previous checkpoint intact); the cluster mode
 * keeps it in JetStream KV behind the same interface.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { MaspoError, ValidationError } from "@maspo/core";
import { z } from "zod";
import { RunStateSchema } from "./run-state.js";

export const CheckpointSchema = z.object({
  v: z.literal(1),
  specHash: z.string(),
  seed: z.number(),
  ablations: z.array(z.string()),
  savedAt: z.string(),
  /** savedAt as wall-clock ms with a fraction (absent in older checkpoints): what a resumed run's cache tells later answers by. */
  savedAtMs: z.number().optional(),
  state: RunStateSchema,
});
export type Checkpoint = z.infer<typeof CheckpointSchema>;

export interface CheckpointStore {
  load(): Promise<Checkpoint | undefined>;
  save(checkpoint: Checkpoint): Promise<void>;
  /** Where it lives, for messages. */
  readonly location: string;
}

export class CheckpointMismatchError extends MaspoError<"E_CHECKPOINT_MISMATCH"> {}

export class FileCheckpointStore implements CheckpointStore {
  readonly location: string;

  constructor(outDir: string) {
    this.location = join(outDir, "checkpoint.json");
  }

  async load(): Promise<Checkpoint | undefined> {
    let text: string;
    try {
      text = await readFile(this.location, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new ValidationError(this.location, [
        { path: "(root)", expected: "a JSON checkpoint", found: `unparseable JSON (${(error as Error).message})` },
      ]);
    }
    const parsed = CheckpointSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ValidationError(
        this.location,
        parsed.error.issues.map((i) => ({ path: i.path.join(".") || "(root)", expected: "a maspo v1 checkpoint", found: i.message })),
      );
    }
    return parsed.data;
  }

  async save(checkpoint: Checkpoint): Promise<void> {
    await mkdir(dirname(this.location), { recursive: true });
    const tmp = `${this.location}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(checkpoint)}\n`);
    await rename(tmp, this.location);
  }
}

/** A resumed run must be the same run: same spec, seed and ablations. */
export function assertResumable(
  checkpoint: Checkpoint,
  expected: { specHash: string; seed: number; ablations: string[] },
  location: string,
): void {
  const problems: string[] = [];
  if (checkpoint.specHash !== expected.specHash)
    problems.push(`spec hash ${checkpoint.specHash} ≠ ${expected.specHash} (the spec changed)`);
  if (checkpoint.seed !== expected.seed) problems.push(`seed ${checkpoint.seed} ≠ ${expected.seed}`);
  if (checkpoint.ablations.join(",") !== expected.ablations.join(","))
    problems.push(`ablations [${checkpoint.ablations.join(", ")}] ≠ [${expected.ablations.join(", ")}]`);
  if (problems.length > 0) {
    throw new CheckpointMismatchError(
      "E_CHECKPOINT_MISMATCH",
      `cannot resume from ${location}: ${problems.join("; ")}. Resume with the spec and flags the run started with, or start a new run with another --out.`,
    );
  }
}

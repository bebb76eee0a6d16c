/**
 * A cluster run's record in JetStream KV: the effective run spec (which workers read to set
 * themselves up: it names API keys only by environment variable, so it is safe to publish), the
 * ablations, the sweep it belongs to (if any), whether the run is done, and the coordinator's
 * latest checkpoint. Every write is a compare-and-swap on the revision this coordinator last wrote,
 * so two coordinators of one run can never both write: a fresh start of an existing run is refused,
 * and a resume takes the run over, so the coordinator it replaces (if still alive) fails at its next
 * checkpoint instead of writing.
 *
 * The store also keeps the run's entry in the cluster's run registry (nats/run-registry.ts of
 * @maspo/cluster), which pool workers watch: announced once the run's streams exist, refreshed while
 * it runs, "done" at the end. A done run's record is removed with its streams (run-cleanup.ts); the
 * registry's "done" entry outlives it for a day, so that in the meantime a fresh start or a resume
 * of that run id is refused with a clear error rather than starting over or waiting for nothing.
 */
import { MaspoError, RunIdSchema, RunSpecSchema, ValidationError, issuesFromZod, type RunSpec } from "@maspo/core";
import { RunRegistry, openKvRecord, runBucketNames, type BucketOptions, type NatsSession, type RunRegistryEntry } from "@maspo/cluster";
import { z } from "zod";
import { CheckpointSchema, type Checkpoint, type CheckpointStore } from "@maspo/coordinator";

type NatsConnection = NatsSession["nc"];

export const RunRecordSchema = z.object({
  v: z.literal(1),
  runId: RunIdSchema,
  spec: RunSpecSchema,
  specHash: z.string(),
  ablations: z.array(z.string()),
  /** The sweep the run belongs to, if any: pool workers label the run's metrics with it. */
  sweep: z.string().optional(),
  status: z.enum(["running", "done"]),
  checkpoint: CheckpointSchema.nullable(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

export class RunExistsError extends MaspoError<"E_RUN_EXISTS"> {
  /** `record` undefined: only the registry's "done" marker is left of the run. */
  constructor(runId: string, record: RunRecord | undefined) {
    if (record === undefined || record.status === "done") {
      super(
        "E_RUN_EXISTS",
        `run "${runId}" already exists on this NATS (done: its report is written, so --resume has nothing to continue): start a new run with another --run-id`,
      );
      return;
    }
    const where = record.checkpoint ? `checkpointed at step ${record.checkpoint.state.nextStep}` : "started, not yet checkpointed";
    super(
      "E_RUN_EXISTS",
      `run "${runId}" already exists on this NATS (${record.status}, ${where}): resume it with --resume, or start a new run with another --run-id`,
    );
  }
}

export class RunDoneError extends MaspoError<"E_RUN_DONE"> {
  constructor(runId: string) {
    super(
      "E_RUN_DONE",
      `run "${runId}" is done on this NATS: its report was written and its streams removed, so there is nothing to resume; start a new run with another --run-id`,
    );
  }
}

export class RunNotFoundError extends MaspoError<"E_RUN_NOT_FOUND"> {
  constructor(runId: string) {
    super(
      "E_RUN_NOT_FOUND",
      `run "${runId}" is not on this NATS: nothing to resume (start it without --resume), or check --run-id and the server`,
    );
  }
}

export interface NewRun {
  spec: RunSpec;
  specHash: string;
  ablations: string[];
  sweep?: string;
}

/** Reads a run's record, validated; undefined when the run was never published. */
export async function readRunRecord(nc: NatsConnection, runId: string): Promise<RunRecord | undefined> {
  const stored = await (await openKvRecord(nc, runId)).load();
  return stored === undefined ? undefined : parseRecord(runId, stored.value);
}

function parseRecord(runId: string, value: unknown): RunRecord {
  const parsed = RunRecordSchema.safeParse(value);
  if (!parsed.success)
    throw new ValidationError(`the record of run "${runId}" in ${runBucketNames(runId).checkpoints}`, issuesFromZod(parsed.error, value));
  return parsed.data;
}

/** The coordinator's handle on its run's record; it is also the cluster's CheckpointStore. */
export class RunRecordStore implements CheckpointStore {
  readonly location: string;
  private record: RunRecord | undefined;
  private revision: number | undefined;
  /** The revision of the run's registry entry this coordinator last wrote. */
  private registered: number | undefined;

  private constructor(
    private readonly kv: Awaited<ReturnType<typeof openKvRecord>>,
    private readonly registry: RunRegistry,
    readonly runId: string,
  ) {
    this.location = `JetStream KV bucket ${runBucketNames(runId).checkpoints}`;
  }

  /** Opens the run's record and the registry; what they create gets `options.replicas` copies. */
  static async open(nc: NatsConnection, runId: string, options: BucketOptions = {}): Promise<RunRecordStore> {
    return new RunRecordStore(await openKvRecord(nc, runId, options), await RunRegistry.open(nc, options), runId);
  }

  /** Publishes a new run; refuses (RunExistsError) if the run exists, even if another coordinator just created it. */
  async create(run: NewRun): Promise<RunRecord> {
    const existing = await this.kv.load();
    if (existing) throw new RunExistsError(this.runId, parseRecord(this.runId, existing.value));
    if (await this.doneInRegistry()) throw new RunExistsError(this.runId, undefined);
    const record: RunRecord = { v: 1, runId: this.runId, ...run, status: "running", checkpoint: null };
    try {
      this.revision = await this.kv.save(record, undefined);
    } catch (err) {
      const now = await this.kv.load();
      if (now) throw new RunExistsError(this.runId, parseRecord(this.runId, now.value));
      throw err;
    }
    this.record = record;
    return record;
  }

  /** Takes an existing run over to resume it; a coordinator still running it fails at its next write. */
  async claim(): Promise<RunRecord> {
    const existing = await this.kv.load();
    if (!existing) throw (await this.doneInRegistry()) ? new RunDoneError(this.runId) : new RunNotFoundError(this.runId);
    const record = parseRecord(this.runId, existing.value);
    if (record.status === "done") throw new RunDoneError(this.runId);
    const claimed: RunRecord = { ...record, status: "running" };
    this.revision = await this.kv.save(claimed, existing.revision);
    this.record = claimed;
    return claimed;
  }

  load(): Promise<Checkpoint | undefined> {
    return Promise.resolve(this.record?.checkpoint ?? undefined);
  }

  async save(checkpoint: Checkpoint): Promise<void> {
    await this.write({ ...this.owned(), checkpoint });
  }

  /** Announces the run in the cluster's registry, so pool workers serve it: call it once the run's streams exist. */
  async announce(): Promise<void> {
    this.registered = await this.registry.put(this.registryEntry("running"));
  }

  /**
   * Re-writes the run's registry entry, so it does not age out while the run is running. Does
   * nothing once another coordinator has taken the run over (that one keeps the entry).
   */
  async refresh(): Promise<void> {
    if (this.registered === undefined) return;
    this.registered = await this.registry.update(this.registryEntry("running"), this.registered);
  }

  /**
   * Marks the run done (its report is written), in its record and then in the registry, which tells
   * pool workers to stop serving it. The record goes with the run's streams (run-cleanup.ts); until
   * then it refuses a resume, as the registry's entry does after.
   */
  async markDone(): Promise<void> {
    await this.write({ ...this.owned(), status: "done" });
    this.registered = await this.registry.put(this.registryEntry("done"));
  }

  private async doneInRegistry(): Promise<boolean> {
    return (await this.registry.get(this.runId))?.entry.status === "done";
  }

  private registryEntry(status: RunRegistryEntry["status"]): RunRegistryEntry {
    return { v: 1, runId: this.runId, status, specHash: this.owned().specHash, updatedAt: new Date().toISOString() };
  }

  private owned(): RunRecord {
    if (!this.record) throw new MaspoError("E_RUN_NOT_OWNED", `run "${this.runId}": create() or claim() it before writing checkpoints`);
    return this.record;
  }

  private async write(record: RunRecord): Promise<void> {
    this.revision = await this.kv.save(record, this.revision);
    this.record = record;
  }
}

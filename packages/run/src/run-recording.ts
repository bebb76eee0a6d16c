/**
 * A run's recording (`maspo run --record <dir>`) and its replay (`--replay <dir>`). A recording is a
 * directory of two files: `manifest.json` — what was run (maspo version, the effective spec and its
 * hash, seed, ablations, the dataset's hash, every endpoint by id, model and base URL, the initial
 * prompts' versions, when, how many exchanges, and the recorded run's cost once it finished) — and
 * `exchanges.jsonl`, every LLM exchange of the run (@maspo/llm's exchange-recording.ts: request and
 * response bodies, no request headers, key values scrubbed).
 *
 * A replay checks the manifest against the spec it is given (any difference is listed and refuses
 * the replay), then runs the very same run with every endpoint's fetch answered from the recording:
 * no key is read, nothing reaches the network, and a request the recording does not hold stops the
 * run with E_REPLAY_MISSING rather than being made live. Because the client's retries, cache and
 * accounting run unchanged over the recorded exchanges, the replayed report is the recorded one,
 * plus its `replay` note (see README: "Record and replay").
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import {
  type Example,
  type RunSpec,
  canonicalJson,
  evaluationModelsOf,
  initialPromptTexts,
  promptVersion,
  servingModelOf,
} from "@maspo/core";
import { type Report, ReportSchema } from "@maspo/coordinator";
import {
  ExchangeRecorder,
  ExchangeReplayer,
  RecordingError,
  type ExchangeCounts,
  type LlmEndpoint,
  type ReplayMiss,
  type ResponseCache,
  withoutCredentials,
} from "@maspo/llm";
import { runEndpoints, specHash } from "./run-job.js";

export const MANIFEST_FILE = "manifest.json";
export const EXCHANGES_FILE = "exchanges.jsonl";
/** Bumped when the recording's layout or meaning changes: an older recording is refused, not misread. */
const RECORDING_FORMAT = 1;

export const RecordingManifestSchema = z.object({
  format: z.literal(RECORDING_FORMAT),
  maspoVersion: z.string(),
  createdAt: z.string(),
  specHash: z.string(),
  seed: z.number(),
  ablations: z.array(z.string()),
  /** sha256 of the resolved train and held-out examples: a dataset file edited since is caught. */
  dataHash: z.string(),
  endpoints: z.array(z.object({ id: z.string(), model: z.string(), baseURL: z.string(), apiKeyEnv: z.string().optional() })),
  /** Each agent's initial prompt version (core's promptVersion of its rendered text). */
  promptVersions: z.record(z.string(), z.string()),
  /** The effective spec (it names key variables, never keys; base URLs without user info). */
  spec: z.unknown(),
  /** False until the recorded run finished and wrote its report: an unfinished recording is not replayable. */
  complete: z.boolean(),
  exchanges: z.int().nonnegative(),
  cachedAnswers: z.int().nonnegative(),
  /** The recorded run's cost as its report gave it; present once complete. */
  cost: ReportSchema.shape.cost.optional(),
  stopReason: z.string().optional(),
});
export type RecordingManifest = z.infer<typeof RecordingManifestSchema>;

/** The spec as a recording keeps it: its endpoints' base URLs without user info. */
function storableSpec(spec: RunSpec): unknown {
  const models = Object.fromEntries(Object.entries(spec.models).map(([id, m]) => [id, { ...m, baseURL: withoutCredentials(m.baseURL) }]));
  return JSON.parse(canonicalJson({ ...spec, models })) as unknown;
}

export function dataHashOf(train: readonly Example[], heldOut: readonly Example[]): string {
  return createHash("sha256").update(canonicalJson({ train, heldOut })).digest("hex").slice(0, 16);
}

export interface RecordedRun {
  spec: RunSpec;
  ablations: string[];
  train: readonly Example[];
  heldOut: readonly Example[];
}

function manifestOf(run: RecordedRun, maspoVersion: string): RecordingManifest {
  const prompts = initialPromptTexts(run.spec);
  return {
    format: RECORDING_FORMAT,
    maspoVersion,
    createdAt: new Date().toISOString(),
    specHash: specHash(run.spec),
    seed: run.spec.seed,
    ablations: [...run.ablations],
    dataHash: dataHashOf(run.train, run.heldOut),
    endpoints: runEndpoints(run.spec).map((e) => ({
      id: e.id,
      model: e.model,
      baseURL: withoutCredentials(e.baseURL),
      ...(e.apiKeyEnv !== undefined ? { apiKeyEnv: e.apiKeyEnv } : {}),
    })),
    promptVersions: Object.fromEntries(Object.entries(prompts).map(([agent, text]) => [agent, promptVersion(text)])),
    spec: storableSpec(run.spec),
    complete: false,
    exchanges: 0,
    cachedAnswers: 0,
  };
}

async function writeManifest(dir: string, manifest: RecordingManifest): Promise<void> {
  const file = join(dir, MANIFEST_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(tmp, file);
}

/** The recording side of a run: the recorder the LLM client goes through, and the manifest kept up to date. */
export interface Recording {
  dir: string;
  recorder: ExchangeRecorder;
  /** The run finished: the exchanges file is closed and the manifest says complete, with the report's cost. */
  finish(report: Pick<Report, "cost" | "stopReason">): Promise<ExchangeCounts>;
  /** The run failed: the file is closed, the manifest left incomplete (it cannot be replayed). */
  abandon(): Promise<void>;
}

/** A recording goes into a new or empty directory: refused otherwise, before anything is spent. */
export async function assertEmptyRecordDir(dir: string): Promise<void> {
  const present = await readdir(dir).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new RecordingError("E_RECORDING", `--record ${dir}: cannot read the directory (${(err as Error).message})`, { cause: err });
  });
  if (present.length > 0) {
    throw new RecordingError(
      "E_RECORDING",
      `--record ${dir}: the directory is not empty (it holds ${present.slice(0, 3).join(", ")}${present.length > 3 ? ", ..." : ""}); record into a new or empty directory`,
    );
  }
}

/**
 * Starts a recording in `dir`, which must be new or empty. `secrets` are the key values the run's
 * endpoints use, scrubbed from anything recorded should a server echo one.
 */
export async function startRecording(dir: string, run: RecordedRun, maspoVersion: string, secrets: readonly string[]): Promise<Recording> {
  await assertEmptyRecordDir(dir);
  await mkdir(dir, { recursive: true });
  const manifest = manifestOf(run, maspoVersion);
  await writeManifest(dir, manifest);
  const recorder = new ExchangeRecorder(join(dir, EXCHANGES_FILE), secrets);
  return {
    dir,
    recorder,
    finish: (report) =>
      closed(dir, async () => {
        const counts = await recorder.close();
        await writeManifest(dir, {
          ...manifest,
          complete: true,
          exchanges: counts.exchanges,
          cachedAnswers: counts.cached,
          cost: report.cost,
          stopReason: report.stopReason,
        });
        return counts;
      }),
    abandon: () =>
      closed(dir, async () => {
        const counts = await recorder.close();
        await writeManifest(dir, { ...manifest, exchanges: counts.exchanges, cachedAnswers: counts.cached });
      }),
  };
}

/** Ends a recording; a file that could not be written is an error naming the directory. */
async function closed<T>(dir: string, close: () => Promise<T>): Promise<T> {
  try {
    return await close();
  } catch (err) {
    throw new RecordingError(
      "E_RECORDING",
      `--record ${dir}: the recording could not be written (${err instanceof Error ? err.message : String(err)}); check free space and the directory's permissions`,
      { cause: err },
    );
  }
}

/** The replay side of a run: the replayer the LLM client's fetches go to, and how the run learns of a miss. */
export interface Replay {
  dir: string;
  manifest: RecordingManifest;
  replayer: ExchangeReplayer;
  /** Rejects with E_REPLAY_MISSING at the first request the recording does not hold; never resolves otherwise. */
  missed: Promise<never>;
  /** The response cache a replay starts from: the recorded run's warm answers, nothing else. */
  cache(): ResponseCache;
  /** The report's note that it was replayed. */
  note(): NonNullable<Report["replay"]>;
}

export async function readManifest(dir: string): Promise<RecordingManifest> {
  const file = join(dir, MANIFEST_FILE);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new RecordingError(
      "E_RECORDING",
      `--replay ${dir}: cannot read ${file} (${err instanceof Error ? err.message : String(err)}); point --replay at a directory written by --record`,
      { cause: err },
    );
  }
  const parsed = RecordingManifestSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new RecordingError(
      "E_RECORDING",
      `--replay ${dir}: ${file} is not a recording manifest of format ${RECORDING_FORMAT} (${first ? `${first.path.join(".") || "(root)"}: ${first.message}` : "invalid"})`,
    );
  }
  if (!parsed.data.complete) {
    throw new RecordingError(
      "E_RECORDING",
      `--replay ${dir}: the recording is incomplete (the recorded run did not finish; ${parsed.data.exchanges} exchanges kept), so its report cannot be replayed; record the run again`,
    );
  }
  return parsed.data;
}

/** Every way the run asked for differs from the recorded one, as `what: recorded → now` lines. */
export function replayDifferences(manifest: RecordingManifest, run: RecordedRun): string[] {
  const out: string[] = [];
  const now = manifestOf(run, manifest.maspoVersion);
  if (now.specHash !== manifest.specHash) {
    const fields = leafDifferences(manifest.spec, now.spec, "spec");
    out.push(
      `spec hash: recorded ${manifest.specHash}, now ${now.specHash}${fields.length > 0 ? `; the spec differs at ${fields.length} field(s):` : ""}`,
    );
    out.push(...fields.slice(0, 20));
    if (fields.length > 20) out.push(`... and ${fields.length - 20} more field(s)`);
  }
  if (now.ablations.join(",") !== manifest.ablations.join(",")) {
    out.push(`ablations: recorded [${manifest.ablations.join(", ")}], now [${now.ablations.join(", ")}]`);
  }
  if (now.dataHash !== manifest.dataHash)
    out.push(`dataset (train and held-out examples): recorded hash ${manifest.dataHash}, now ${now.dataHash}`);
  return out;
}

/** Paths at which two JSON values differ, with both values (at most a few dozen characters of each). */
function leafDifferences(a: unknown, b: unknown, path: string): string[] {
  if (canonicalJson(a ?? null) === canonicalJson(b ?? null)) return [];
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object";
  if (isObject(a) && isObject(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => leafDifferences(a[k], b[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`));
  }
  const show = (v: unknown): string => {
    const text = v === undefined ? "(absent)" : JSON.stringify(v);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  };
  return [`${path}: recorded ${show(a)}, now ${show(b)}`];
}

/** Which agents and roles call an endpoint, for a miss's error to say whose request it was. */
function usersOf(spec: RunSpec, endpointId: string): string[] {
  const users = spec.graph.agents.filter((a) => servingModelOf(spec, a.id) === endpointId).map((a) => `agent ${a.id}`);
  const lenses = Object.entries(evaluationModelsOf(spec))
    .filter(([, id]) => id === endpointId)
    .map(([lens]) => lens);
  if (lenses.length > 0) users.push(`judge (${lenses.join(", ")})`);
  if (spec.optimizer.model === endpointId) users.push("optimizer");
  return users;
}

/** Opens `dir` for replaying `run`: refuses an unusable recording or any difference from the recorded run. */
export async function openReplay(dir: string, run: RecordedRun): Promise<Replay> {
  const manifest = await readManifest(dir);
  const differences = replayDifferences(manifest, run);
  if (differences.length > 0) {
    throw new RecordingError(
      "E_REPLAY_MISMATCH",
      `--replay ${dir}: this run differs from the recorded one, so the recording cannot answer it:\n${differences.map((d) => `  - ${d}`).join("\n")}`,
    );
  }
  let reject: (err: RecordingError) => void = () => undefined;
  const missed = new Promise<never>((_, r) => (reject = r));
  // Observed here so that a replay which never misses leaves no unhandled rejection behind.
  missed.catch(() => undefined);
  let first = true;
  const onMiss = (miss: ReplayMiss): void => {
    if (!first) return;
    first = false;
    const users = usersOf(run.spec, miss.endpointId);
    reject(
      new RecordingError(
        "E_REPLAY_MISSING",
        `--replay ${dir}: the recording holds no answer for a request to endpoint '${miss.endpointId}' (model ${miss.model}; used by ${users.join(", ") || "no agent"}): ${miss.method} ${miss.path}, request key ${miss.key}` +
          (miss.recordedForKey > 0
            ? ` (the recorded run made this request ${miss.recordedForKey} time(s), and it failed each time: the replay asks once more)`
            : " (the recorded run never made it)") +
          `; nothing was called live. Was the recording made by another maspo version (recorded ${manifest.maspoVersion}) or edited? Record the run again.`,
      ),
    );
  };
  const replayer = await ExchangeReplayer.load(join(dir, EXCHANGES_FILE), onMiss);
  return {
    dir,
    manifest,
    replayer,
    missed,
    cache: () => replayer.seededCache(),
    note: () => ({
      recording: dir,
      recordedAt: manifest.createdAt,
      maspoVersion: manifest.maspoVersion,
      exchangesServed: replayer.served,
      newCalls: 0,
    }),
  };
}

/** The key values a run's endpoints read from `env`: what the recorder scrubs. */
export function secretsOf(endpoints: readonly LlmEndpoint[], env: Record<string, string | undefined>): string[] {
  return endpoints.flatMap((e) => (e.apiKeyEnv !== undefined && env[e.apiKeyEnv] ? [env[e.apiKeyEnv] as string] : []));
}

/** The environment a replay's client is built with: a placeholder for every key variable, so no real key is read or needed. */
export function replayEnv(endpoints: readonly LlmEndpoint[]): Record<string, string> {
  return Object.fromEntries(endpoints.flatMap((e) => (e.apiKeyEnv !== undefined ? [[e.apiKeyEnv, "maspo-replay-no-key"]] : [])));
}

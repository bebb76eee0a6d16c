/**
 * The catalogue of every error code maspo throws: one place that says what a code means, what to do
 * about it, and how the `maspo` command exits on it. MaspoError takes only these codes, so a typo in
 * a code is a compile error, and docs/errors.md is generated from this file (`npm run docs:errors`).
 * A unit test fails when a code string in the sources is missing here, or when the doc is stale.
 * Codes are stable: scripts, metrics labels and result records match on them, so never rename one.
 */

/**
 * How the `maspo` command exits when an error of the code reaches it (packages/cli/src/exit-status.ts):
 * `refused` (2) for invalid input or a refused request, nothing started; `stopped` (3) for a run that
 * stopped where it can be resumed (its checkpoint kept); `failed` (1) for the rest.
 */
export const EXIT_FAMILIES = {
  failed: { status: 1, meaning: "failed: the command started and could not finish" },
  refused: { status: 2, meaning: "refused: invalid input or arguments, nothing was started" },
  stopped: { status: 3, meaning: "stopped: the run stopped where it can go on; its checkpoint is kept, resume it with --resume" },
} as const;
export type ExitFamily = keyof typeof EXIT_FAMILIES;

/** The areas codes are grouped by, in the order docs/errors.md lists them. */
export const ERROR_AREAS = {
  spec: "Spec and validation",
  dataset: "Dataset",
  graph: "Agent graph",
  executor: "Executor",
  scoring: "Scoring final outputs",
  evaluator: "Evaluator",
  llm: "LLM calls",
  cache: "LLM response cache",
  task: "Task protocol",
  transport: "Transport and work queue",
  nats: "NATS and KV",
  run: "Runs and checkpoints",
  sweep: "Sweeps",
  simlm: "simlm",
  metrics: "Metrics",
  cli: "CLI",
} as const;
export type ErrorArea = keyof typeof ERROR_AREAS;

export interface ErrorCodeInfo {
  readonly area: ErrorArea;
  readonly exit: ExitFamily;
  /** What the code means and what to do about it, in one line. */
  readonly doc: string;
}

export const ERROR_CODES = {
  // spec
  E_VALIDATION: {
    area: "spec",
    exit: "refused",
    doc: "Input (a spec, world file, dataset, request or option set) has problems; every one is listed with its path: fix them and run again.",
  },
  E_SPEC_UNVALIDATED: {
    area: "spec",
    exit: "failed",
    doc: "A spec reached the engine without validation (an agent has no serving model or prompt): load it with loadSpecFile or validateSpec first.",
  },
  E_SPEC_DATASET: {
    area: "spec",
    exit: "failed",
    doc: "A simlm dataset reached the dataset loader without its world; the run loads the world first, so this is a bug: report it.",
  },
  E_WEIGHTS_DROP_LENS: {
    area: "spec",
    exit: "refused",
    doc: "The spec's weights set a lens to 0 without declaring the run an ablation: give the lens a weight, or run with the matching ablation flag (--no-lookahead, --global-only, --independent).",
  },
  E_SPEC_METRIC: {
    area: "spec",
    exit: "failed",
    doc: 'task.metric "world" with a dataset that is not a simlm world; validation refuses such a spec, so it was not validated: validate it.',
  },

  // dataset
  E_DATASET_SIMLM: {
    area: "dataset",
    exit: "failed",
    doc: "loadDataset was given a simlm dataset, which is generated rather than read: call generateDataset of @maspo/simlm.",
  },

  // graph
  E_GRAPH_CYCLE: {
    area: "graph",
    exit: "failed",
    doc: "The agent graph has a cycle, so no agent order exists; validation refuses such a spec, so this is a graph built without it: validate it.",
  },
  E_GRAPH_UNKNOWN_AGENT: {
    area: "graph",
    exit: "failed",
    doc: "An agent id is not in the graph; a validated spec names only its own agents, so check the id the caller passed.",
  },

  // executor
  E_AGENT_CALL: {
    area: "executor",
    exit: "failed",
    doc: "Recorded in a trace step (not thrown) when an agent's LLM call failed with no code of its own; the step's message says why.",
  },
  E_EXECUTOR_RERUN_WITHOUT_BASE: {
    area: "executor",
    exit: "failed",
    doc: "executeGraph was asked to re-run from an agent without the base trace to keep the other steps from: pass `base` with `rerunFrom`.",
  },
  E_EXECUTOR_BASE_STEP_MISSING: {
    area: "executor",
    exit: "failed",
    doc: "The base trace of a partial re-run lacks a step the re-run keeps: pass a trace of the same graph.",
  },
  E_EXECUTOR_PROMPT_MISSING: {
    area: "executor",
    exit: "failed",
    doc: "executeGraph got no prompt for an agent of the graph: pass one prompt text per agent.",
  },

  // scoring: the final metrics that run something
  E_METRIC_MODULE: {
    area: "scoring",
    exit: "failed",
    doc: "Your module metric (task.metric kind module) threw, or returned something other than a number in [0, 1], on the example the message names: the run stops rather than score it 0; fix the function and --resume.",
  },
  E_METRIC_MODULE_LOAD: {
    area: "scoring",
    exit: "failed",
    doc: "A worker could not load the module metric (no file at the path, it fails to load, or no function under the export): every worker needs the module at the spec's path; validation checks it where the spec is validated.",
  },
  E_CODE_TESTS_SANDBOX: {
    area: "scoring",
    exit: "failed",
    doc: "The code_tests sandbox could not run an example's tests (the interpreter is missing, or the harness never started, e.g. within timeoutMs): nothing was scored; the message names the example and the cause.",
  },

  // evaluator
  E_EVAL_WEIGHTS: {
    area: "evaluator",
    exit: "failed",
    doc: "No lens is left with a positive weight for this agent (after ablations, or it has no successors): give local or global a weight.",
  },
  E_EVAL_TRACE: {
    area: "evaluator",
    exit: "failed",
    doc: "A trace handed to the evaluator has no step for the agent under evaluation: evaluate with traces of the same graph.",
  },

  // llm
  E_LLM_CONFIG: {
    area: "llm",
    exit: "failed",
    doc: "The LLM endpoints are unusable as configured (an API key variable unset, a simlm endpoint without its in-process fetch): fix each one listed.",
  },
  E_LLM_RATE_LIMITED: {
    area: "llm",
    exit: "failed",
    doc: "The last attempt was answered 429 and no attempts or deadline were left (retryable): lower the endpoint's concurrency or raise maxRetries.",
  },
  E_LLM_TIMEOUT: {
    area: "llm",
    exit: "failed",
    doc: "The last attempt exceeded the endpoint's timeoutMs and no attempts were left (retryable): raise timeoutMs if the model is just slow.",
  },
  E_LLM_EXHAUSTED: {
    area: "llm",
    exit: "failed",
    doc: "Retries ran out on server errors, connection failures or unparseable responses (retryable): check the endpoint is up and OpenAI-compatible.",
  },
  E_LLM_HTTP: {
    area: "llm",
    exit: "failed",
    doc: "The server refused the request with a status retrying will not change (400, 401, 404...): check the key, baseURL, model and parameters.",
  },
  E_LLM_DEADLINE: {
    area: "llm",
    exit: "failed",
    doc: "The call's overall deadline passed while it waited for a slot, an attempt or a backoff (retryable): raise the deadline or lower load.",
  },
  E_LLM_ABORTED: {
    area: "llm",
    exit: "failed",
    doc: "The caller aborted the call through its signal (the task was stopped or the process is closing); nothing to fix.",
  },
  E_LLM_UNEXPECTED: {
    area: "llm",
    exit: "failed",
    doc: "The OpenAI SDK failed in a way no other code explains: a bug rather than weather; report it with the message.",
  },
  E_LLM_BUDGET: {
    area: "llm",
    exit: "failed",
    doc: "A call was refused because the run's stop.budgetUsd or stop.budgetTokens is spent (not retryable): the run ends as a budget stop with the best prompts so far; raise the budget to go further.",
  },
  E_LLM_ROUND_CAP: {
    area: "llm",
    exit: "failed",
    doc: "A call was refused because its round reached the token ceiling guards.tokensPerRoundMax sets (the cap, less what the round end's train-pool measure is reserved; not retryable): the step it was for is dropped, the round's remaining agent steps are skipped and a guard event names the step; the run goes on with the round end. Raise the cap if rounds end early.",
  },

  // cache
  E_LLM_CACHE: {
    area: "cache",
    exit: "failed",
    doc: "The LLM response cache could not be read or written (permissions, disk, NATS unreachable; a corrupt entry is a miss instead): fix access.",
  },

  // task
  E_TASK_FAILED: {
    area: "task",
    exit: "failed",
    doc: "In a result record: a task handler threw an error with no code of its own; the message names the error. A bug in the handler.",
  },
  E_TASK_TRANSIENT: {
    area: "task",
    exit: "failed",
    doc: "A task absorbed an LLM failure that was weather (rate limit, outage, cache unreachable), so its result would differ: it is retried.",
  },
  E_TASK_KIND: {
    area: "task",
    exit: "failed",
    doc: "A worker got a task of a kind its role does not run: check the worker's --role and that coordinator and workers run one version.",
  },
  E_TASK_PAYLOAD: {
    area: "task",
    exit: "failed",
    doc: "A task's request does not match its kind's schema: coordinator and workers disagree on the protocol; run one maspo version.",
  },
  E_TASK_RESULT: {
    area: "task",
    exit: "failed",
    doc: "Results of a task kept failing validation (a payload its kind's schema refuses, a result of another role): each was dead-lettered and the task retried under a fresh id, 3 times; a version mismatch, a worker bug or a forger: run one maspo version and per-role NATS users (deploy/README.md).",
  },
  E_CLUSTER_TASK: {
    area: "task",
    exit: "failed",
    doc: "A task failed for good (after its resubmits) in the embedded or cluster mode; the message names the worker's own code and message.",
  },

  // transport
  E_CODEC: {
    area: "transport",
    exit: "failed",
    doc: "Bytes on the bus or in KV are not a valid message of the expected kind; bus messages go to the dead-letter stream, with this reason.",
  },
  E_QUEUE_CLOSED: {
    area: "transport",
    exit: "failed",
    doc: "The work queue was used after it was closed: open a new one.",
  },
  E_RUN_MISMATCH: {
    area: "transport",
    exit: "failed",
    doc: "A task for one run was submitted to another run's work queue: open a queue for the task's run.",
  },
  E_PAYLOAD_TOO_LARGE: {
    area: "transport",
    exit: "failed",
    doc: "A task is larger than the NATS server's max_payload: split the task, or raise max_payload in the nats-server config.",
  },
  E_MAX_DELIVER: {
    area: "transport",
    exit: "failed",
    doc: "In a result record: a task was delivered maxDeliver times without an ack (its workers died or hung); check the workers' logs.",
  },
  E_RUN_STALLED: {
    area: "transport",
    exit: "stopped",
    doc: "The coordinator's watchdog: tasks were awaited and no result came for cluster.watchdogMs; the message names what is missing (a worker of a role, a consumer, the run's streams) and the fix; the checkpoint is kept: fix it and resume with --resume.",
  },
  E_RUN_STREAMS_GONE: {
    area: "transport",
    exit: "stopped",
    doc: "A run's JetStream streams are gone mid-run (a NATS server restarted without its store, or they were deleted): resume with --resume, which re-creates them from the checkpoint in KV if it survived.",
  },
  E_RESULTS_LOST: {
    area: "transport",
    exit: "stopped",
    doc: "The results log stopped (queue closed, connection lost for good) while tasks were awaited: resume the run with --resume.",
  },

  // nats
  E_NATS_AUTH: {
    area: "nats",
    exit: "failed",
    doc: "The NATS server refused the credentials: check the user/password, token, NKey or creds file.",
  },
  E_NATS_CONNECT: {
    area: "nats",
    exit: "failed",
    doc: "NATS could not be reached: check the server is running and the --nats URL.",
  },
  E_NATS_SERVER: {
    area: "nats",
    exit: "failed",
    doc: "The NATS server cannot do what maspo needs (too old, or JetStream off for the server or account): the message names the fix.",
  },
  E_NATS_REPLICAS: {
    area: "nats",
    exit: "refused",
    doc: "The replicas asked for (spec cluster.replicas or --replicas) exceed the NATS cluster's size, or the server cannot place that many: ask for at most the number of servers, or grow the cluster.",
  },
  E_KV_VALUE: {
    area: "nats",
    exit: "failed",
    doc: "A chunked KV value is unreadable (a chunk missing or not matching its manifest): delete the key and let it be rewritten.",
  },
  E_KV_LEASE_WATCH: {
    area: "nats",
    exit: "failed",
    doc: "The watch on a KV lease (a response-cache claim) ended before the lease did, usually because NATS went away: check NATS is reachable.",
  },

  // run
  E_CHECKPOINT_MISMATCH: {
    area: "run",
    exit: "failed",
    doc: "A resumed run differs from the checkpoint's (spec, seed or ablations): resume with the spec and flags it started with, or start a new run.",
  },
  E_CHECKPOINT_CONFLICT: {
    area: "run",
    exit: "failed",
    doc: "Another coordinator wrote the run's checkpoint since this one read it: stop the other coordinator, then resume with --resume.",
  },
  E_NO_CHECKPOINT: {
    area: "run",
    exit: "refused",
    doc: "--resume found no checkpoint in the output directory: start the run without --resume, or point --out at the run's directory.",
  },
  E_RUN_EXISTS: {
    area: "run",
    exit: "failed",
    doc: "A run with this id already exists on the NATS server (or finished there within a day): resume it with --resume if it is not done, or start a new run with another --run-id.",
  },
  E_RUN_NOT_FOUND: {
    area: "run",
    exit: "failed",
    doc: "--resume named a run that is not on this NATS server: start it without --resume, or check --run-id and the server.",
  },
  E_RUN_DONE: {
    area: "run",
    exit: "failed",
    doc: "--resume named a run that is done (its report written, its streams removed): start a new run with another --run-id.",
  },
  E_RUN_NOT_OWNED: {
    area: "run",
    exit: "failed",
    doc: "A run record was written before create() or claim() took ownership of it: a bug in the caller of RunRecordStore.",
  },
  E_RECORDING: {
    area: "run",
    exit: "refused",
    doc: "--record or --replay cannot use the directory: --record needs a new or empty one; --replay needs a complete recording (manifest.json, exchanges.jsonl) of this maspo format.",
  },
  E_REPLAY_MISMATCH: {
    area: "run",
    exit: "refused",
    doc: "--replay was given a spec, seed, ablations or dataset other than the recorded run's (each difference is listed): replay with what was recorded.",
  },
  E_REPLAY_MISSING: {
    area: "run",
    exit: "failed",
    doc: "A replayed run asked for an LLM exchange the recording does not hold (named by endpoint, model and key); a replay never calls live: record the run again.",
  },

  // simlm
  E_WORLD_NOT_FOUND: {
    area: "simlm",
    exit: "failed",
    doc: "A simlm world name is neither a bundled world nor a readable file: use a bundled name (the message lists them) or a path.",
  },
  E_MISSING_PROMPT: {
    area: "simlm",
    exit: "failed",
    doc: "A simlm graph run got no prompt for an agent of the world: pass one prompt text per agent.",
  },
  E_ORACLE: {
    area: "simlm",
    exit: "failed",
    doc: "The simlm oracle cannot reason about the world as written (an example matching no template, overlapping directive phrases): fix the world.",
  },
  E_SIMLM_CLOSED: {
    area: "simlm",
    exit: "failed",
    doc: "The simlm service was closed while a request was open; the request is abandoned. Nothing to fix when shutting down.",
  },
  E_SIMLM_LISTEN: {
    area: "simlm",
    exit: "failed",
    doc: "simlm could not listen on the host and port asked for: pick another --port, or 0 for a free one.",
  },
  E_SIMLM_LOG: {
    area: "simlm",
    exit: "failed",
    doc: "simlm could not open or write its request log (`sim serve --log-requests <file>`): give a writable file path.",
  },
  E_SIMLM_NO_REPLY: {
    area: "simlm",
    exit: "failed",
    doc: "An in-process simlm request ended without a reply: a bug in simlm; report it.",
  },

  // metrics
  E_METRICS_LISTEN: {
    area: "metrics",
    exit: "failed",
    doc: "The /metrics server could not listen on its port: pick another --metrics-port, or 0 for a free one.",
  },

  // cli
  E_PREFLIGHT: {
    area: "llm",
    exit: "refused",
    doc: "An endpoint the run uses did not answer a one-token preflight call (unreachable, key refused, unknown model, not OpenAI-compatible): fix what each line says; nothing was started.",
  },
  // sweep
  E_SWEEP_EXISTS: {
    area: "sweep",
    exit: "refused",
    doc: "The output directory already holds a sweep: add --resume to finish that one, or give another --out.",
  },
  E_REFUSED: {
    area: "cli",
    exit: "refused",
    doc: "The command will not do what was asked as asked (e.g. overwrite files without --force, conflicting flags): the message says what to change.",
  },
  E_REPORTED: {
    area: "cli",
    exit: "refused",
    doc: "The command already printed what went wrong (e.g. `maspo validate` listing each spec's problems); it exits with the status it chose, 2 today.",
  },
  E_PACKAGE_JSON: {
    area: "cli",
    exit: "failed",
    doc: "The installed maspo package has no readable version: reinstall maspo.",
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Whether a string from outside the type system (a result record off the bus, a log) is a catalogued code. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}

/** Errors the work transport throws to its callers, and the one handlers throw to ask for a retry. */
import { MaspoError, type ErrorCode } from "@maspo/core";

/**
 * Thrown by a task handler to fail a task with a stable code. `retryable: true` asks for a retry with
 * backoff (until maxDeliver); otherwise an error result goes back to the coordinator at once.
 */
export class TaskFailedError extends MaspoError {
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(code, message, { cause: options.cause });
    this.retryable = options.retryable;
  }
}

export class RunMismatchError extends MaspoError<"E_RUN_MISMATCH"> {
  constructor(queueRunId: string, taskRunId: string) {
    super("E_RUN_MISMATCH", `task for run "${taskRunId}" submitted to the work queue of run "${queueRunId}"; open a queue for that run`);
  }
}

export class WorkQueueClosedError extends MaspoError<"E_QUEUE_CLOSED"> {
  constructor(operation: string) {
    super("E_QUEUE_CLOSED", `cannot ${operation}: the work queue is closed; open a new one`);
  }
}

export class PayloadTooLargeError extends MaspoError<"E_PAYLOAD_TOO_LARGE"> {
  constructor(what: string, bytes: number, maxBytes: number) {
    super(
      "E_PAYLOAD_TOO_LARGE",
      `${what} is ${bytes} bytes, over the server's max_payload of ${maxBytes}; split the task or raise max_payload in the nats-server config`,
    );
  }
}

/** The run's JetStream streams are gone (a server restarted without its store, or deleted by hand). */
export class RunStreamsGoneError extends MaspoError<"E_RUN_STREAMS_GONE"> {
  constructor(runId: string, streams: readonly string[], options?: { cause?: unknown }) {
    super(
      "E_RUN_STREAMS_GONE",
      `run ${runId}: its JetStream stream${streams.length === 1 ? "" : "s"} ${streams.join(", ")} ${streams.length === 1 ? "is" : "are"} gone (a NATS server restarted without its store, or deleted by hand); ` +
        `its record and checkpoint in KV are kept if they survived: resume with \`maspo run <spec> --nats <url> --resume ${runId}\`, which re-creates the streams`,
      options,
    );
  }
}

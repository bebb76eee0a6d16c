/**
 * `--log-requests <file>`: one JSON line per chat-completion request simlm accepted — its model, its
 * messages and simlm's reading of it (which role answered, and for an agent call what the agent saw).
 * Only the request body's model and messages are written: never a header (an Authorization header
 * carries the client's key), never the body's other fields. Off unless asked for; lines are written
 * synchronously, in arrival order, so a log is complete up to the moment the server stops.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { MaspoError } from "@maspo/core";
import type { ChatRequest } from "../reading/chat-request.js";
import type { RequestReading } from "../roles/request-reading.js";

export interface RequestLogEntry {
  model: string;
  messages: ChatRequest["messages"];
  reading: RequestReading;
}

export class RequestLogError extends MaspoError<"E_SIMLM_LOG"> {}

export interface RequestLog {
  readonly file: string;
  write(entry: RequestLogEntry): void;
  close(): void;
}

/** Open (create or append to) a request log file. */
export function openRequestLog(file: string): RequestLog {
  const fail = (what: string, err: unknown): never => {
    throw new RequestLogError(
      "E_SIMLM_LOG",
      `simlm could not ${what} the request log ${file}: ${err instanceof Error ? err.message : String(err)} (--log-requests expects a writable file path)`,
      { cause: err },
    );
  };
  let fd: number | undefined;
  try {
    fd = openSync(file, "a");
  } catch (err) {
    fail("open", err);
  }
  return {
    file,
    write(entry) {
      if (fd === undefined) throw new RequestLogError("E_SIMLM_LOG", `the request log ${file} was written after it was closed`);
      const line = `${JSON.stringify({ model: entry.model, messages: entry.messages, reading: entry.reading })}\n`;
      try {
        writeSync(fd, line);
      } catch (err) {
        fail("write", err);
      }
    },
    close() {
      if (fd === undefined) return;
      const open = fd;
      fd = undefined;
      closeSync(open);
    },
  };
}

/**
 * simlm as a `fetch` function for the `openai` SDK's `fetch` option: the embedded mode exercises the
 * real client (retries, timeouts, streaming, error classes) without opening a port. It answers
 * exactly what the HTTP server answers, because both play the same reply plans.
 */
import { MaspoError } from "@maspo/core";
import type { SimService } from "./sim-service.js";
import { createWorldService, type SimWorldOptions } from "./world-service.js";

/** Exactly the global fetch's type, so it drops into the SDK's `fetch` option and core's `FetchFor`. */
export type SimFetch = typeof fetch;

/** A base URL for SDK clients that use the in-process fetch; the host is never contacted. */
export const IN_PROCESS_BASE_URL = "http://simlm.invalid/v1";

function abortError(reason: unknown): unknown {
  return reason ?? new DOMException("This operation was aborted", "AbortError");
}

export function simFetch(service: SimService): SimFetch {
  return async (input, init) => {
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ?? undefined;
    signal?.throwIfAborted();
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    const url = input instanceof Request ? input.url : String(input);
    const body =
      init?.body !== undefined && init.body !== null
        ? await new Response(init.body).text()
        : input instanceof Request
          ? await input.text()
          : "";
    const path = pathOf(url);

    return new Promise<Response>((resolve, reject) => {
      const encoder = new TextEncoder();
      // A reader that cancels the body (stops reading a stream) is a client gone, as on a socket.
      const bodyCancelled = new AbortController();
      let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
      let started = false;
      const sink = {
        start(status: number, headers: Record<string, string>) {
          started = true;
          const readable = new ReadableStream<Uint8Array>({
            start(controller) {
              stream = controller;
            },
            cancel(reason) {
              bodyCancelled.abort(reason);
            },
          });
          resolve(new Response(readable, { status, headers }));
        },
        write(data: string) {
          stream?.enqueue(encoder.encode(data));
        },
        end() {
          stream?.close();
        },
        abandon(reason: unknown) {
          if (started) stream?.error(abortError(reason));
          else reject(abortError(reason));
        },
      };
      const gone = signal ? AbortSignal.any([signal, bodyCancelled.signal]) : bodyCancelled.signal;
      service.handle({ method: method.toUpperCase(), path, body }, sink, gone).then(
        () => {
          if (!started) reject(new MaspoError("E_SIMLM_NO_REPLY", "simlm: the request ended without a reply"));
        },
        (err: unknown) => {
          if (started) stream?.error(err);
          else reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  };
}

/** The path of any URL the SDK builds, including non-http schemes like `simlm://world/v1/...`. */
function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    // Not an absolute URL: it is already a path.
    return url;
  }
}

/** A world as an in-process fetch for `new OpenAI({ baseURL: IN_PROCESS_BASE_URL, fetch })`. */
export function createSimFetch(options: SimWorldOptions): SimFetch {
  return simFetch(createWorldService(options));
}

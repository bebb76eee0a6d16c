/**
 * simlm over HTTP: a node:http server that reads each request body and hands it to the shared
 * SimService, writing its reply plan to the socket. No logic of its own beyond framing, and an
 * optional requests-per-minute cap (rpm-cap.ts, off by default) whose counts GET /simlm/stats reports.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { MaspoError } from "@maspo/core";
import { bodyTooLargeError, rateLimitError } from "./openai-error.js";
import { RpmCap, requestedModel, type RpmCapStats } from "./rpm-cap.js";
import { errorReply } from "./reply-plan.js";
import { playReply, type ReplySink, type SimService } from "./sim-service.js";
import { createWorldService, type SimWorldOptions } from "./world-service.js";

/** Bodies beyond this are refused (413) rather than buffered without bound. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface SimHttpServer {
  /** Base URL for the `openai` SDK, e.g. `http://127.0.0.1:43121/v1`. */
  url: string;
  port: number;
  service: SimService;
  /** The rpm cap's counts (also served at STATS_PATH); undefined without a cap. */
  rpmStats(): RpmCapStats | undefined;
  /** Stop accepting, abandon held requests, and resolve once the server is closed. */
  close(): Promise<void>;
}

export class SimServerError extends MaspoError<"E_SIMLM_LISTEN"> {}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? null : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function responseSink(res: ServerResponse): ReplySink {
  return {
    start(status, headers) {
      res.writeHead(status, headers);
    },
    write(data) {
      res.write(data);
    },
    end() {
      res.end();
    },
    abandon() {
      res.destroy();
    },
  };
}

/** Where the server's own figures are read (the rpm cap's counts); not part of the OpenAI API. */
export const STATS_PATH = "/simlm/stats";

async function serveOne(service: SimService, req: IncomingMessage, res: ServerResponse, cap: RpmCap | undefined): Promise<void> {
  const clientGone = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) clientGone.abort(new Error("client closed the connection"));
  });
  const body = await readBody(req);
  const sink = responseSink(res);
  if (body === null) {
    await playReply(errorReply(bodyTooLargeError(MAX_BODY_BYTES)), sink, clientGone.signal);
    return;
  }
  const path = req.url ?? "/";
  if (path === STATS_PATH) {
    const text = JSON.stringify({ rpmCap: cap?.stats() ?? null });
    res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
    res.end(text);
    return;
  }
  if (cap && req.method === "POST" && path.includes("/chat/completions")) {
    const model = requestedModel(body);
    const admitted = model === undefined ? { ok: true as const } : cap.admit(model);
    if (!admitted.ok) {
      const headers = { "retry-after": String(Math.ceil(admitted.retryAfterMs / 1000)), "retry-after-ms": String(admitted.retryAfterMs) };
      const reason = `simlm is at its cap of ${cap.rpm} requests per minute for model '${model}'; retry after ${admitted.retryAfterMs} ms.`;
      await playReply(errorReply(rateLimitError(reason, headers)), sink, clientGone.signal);
      return;
    }
  }
  const clientPort = req.socket.remotePort;
  await service.handle(
    { method: req.method ?? "GET", path, body, ...(clientPort !== undefined ? { clientPort } : {}) },
    sink,
    clientGone.signal,
  );
}

export interface SimServerOptions {
  port?: number;
  host?: string;
  onError?: (error: unknown) => void;
  /** Chat completions per model per minute (a sliding 60 s); beyond it, 429 with Retry-After. Off by default. */
  rpm?: number;
}

export async function listenSimServer(service: SimService, options: SimServerOptions = {}): Promise<SimHttpServer> {
  const host = options.host ?? "127.0.0.1";
  const cap = options.rpm !== undefined ? new RpmCap(options.rpm) : undefined;
  let closing = false;
  // Sockets and whether a request is being answered on each: closing must end idle keep-alive (and
  // never-used, pre-opened) connections at once, and busy ones as soon as their reply is done.
  const sockets = new Map<Socket, boolean>();
  const server = createServer((req, res) => {
    const socket = req.socket;
    sockets.set(socket, true);
    res.on("close", () => {
      if (!sockets.has(socket)) return;
      sockets.set(socket, false);
      if (closing) socket.destroy();
    });
    serveOne(service, req, res, cap).catch((err: unknown) => {
      options.onError?.(err);
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.set(socket, false);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new SimServerError(
          "E_SIMLM_LISTEN",
          `simlm could not listen on ${host}:${options.port ?? 0}: ${err.message}${err.code === "EADDRINUSE" ? " (pick another --port, or 0 for a free one)" : ""}`,
          { cause: err },
        ),
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}/v1`,
    port,
    service,
    rpmStats: () => cap?.stats(),
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing = true;
        server.close((err) => (err ? reject(err) : resolve()));
        service.close();
        for (const [socket, busy] of sockets) if (!busy) socket.destroy();
      });
      return closed;
    },
  };
}

export interface StartSimServerOptions extends SimWorldOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** See SimServerOptions.rpm. */
  rpm?: number;
}

/** Serve a world over HTTP: `{ url, port, service, close() }`. */
export function startSimServer(options: StartSimServerOptions): Promise<SimHttpServer> {
  return listenSimServer(createWorldService(options), {
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.rpm !== undefined ? { rpm: options.rpm } : {}),
  });
}

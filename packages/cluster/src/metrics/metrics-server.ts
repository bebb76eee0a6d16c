/**
 * The `/metrics` endpoint every long-running maspo process serves for Prometheus to scrape, and
 * `/healthz` for liveness probes. Nothing else: it is plain node:http, so it adds no dependency.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { MaspoError } from "@maspo/core";

export class MetricsServerError extends MaspoError<"E_METRICS_LISTEN"> {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_METRICS_LISTEN", message, options);
  }
}

export interface MetricsServer {
  /** The port actually bound (useful when 0 asked for a free one). */
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(registry: Registry, options: { port: number; host?: string }): Promise<MetricsServer> {
  const host = options.host ?? "0.0.0.0";
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics collection failed: ${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new MetricsServerError(
          `cannot serve metrics on ${host}:${options.port}: ${err.message}${err.code === "EADDRINUSE" ? " (pick another --metrics-port, or 0 for a free one)" : ""}`,
          { cause: err },
        ),
      ),
    );
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    port,
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}/metrics`,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/**
 * A simlm world as something to serve: its chat backend (request validation + the pure
 * `simulateChat`), its own service-realism block if it carries one, and the service built from both.
 * The only serving module that knows what a world is.
 */
import { issuesFromZod } from "@maspo/core";
import { ChatRequestSchema } from "../reading/chat-request.js";
import { readChatRequest } from "../roles/request-reading.js";
import { simulateChat } from "../roles/simulate-chat.js";
import type { World } from "../world/world-schema.js";
import type { ChatBackend } from "./chat-backend.js";
import type { RequestLogEntry } from "./request-log.js";
import { NO_REALISM, parseServiceRealism, type ServiceRealism, type ServiceRealismInput } from "./service-realism.js";
import { createSimService, type SimService } from "./sim-service.js";

/** The world's chat backend; `logRequest`, when given, is told of every request it accepts, with simlm's reading of it. */
export function worldBackend(world: World, logRequest?: (entry: RequestLogEntry) => void): ChatBackend {
  return {
    name: world.name,
    modelIds: [world.name],
    prepare(body) {
      const parsed = ChatRequestSchema.safeParse(body);
      if (!parsed.success) return { ok: false, issues: issuesFromZod(parsed.error, body) };
      const request = parsed.data;
      logRequest?.({ model: request.model, messages: request.messages, reading: readChatRequest(world, request) });
      return { ok: true, request, simulate: () => simulateChat(world, request) };
    },
  };
}

/** The realism a world file asks for in an optional `service:` block; off when it has none. */
export function worldRealism(world: World): ServiceRealism {
  const block: unknown = "service" in world ? (world as { service?: unknown }).service : undefined;
  return block === undefined ? NO_REALISM : parseServiceRealism(block, `world ${world.name}: service`);
}

export interface SimWorldOptions {
  world: World;
  /** Replaces the world's own `service:` block; off when neither is given. */
  realism?: ServiceRealismInput | undefined;
  /** Told of every request that failed inside simlm (answered 500). */
  onError?: ((error: unknown) => void) | undefined;
  /** Told of every chat request accepted, with simlm's reading of it (`--log-requests`); off when absent. */
  logRequest?: ((entry: RequestLogEntry) => void) | undefined;
}

export function createWorldService(options: SimWorldOptions): SimService {
  return createSimService({
    backend: worldBackend(options.world, options.logRequest),
    realism: options.realism === undefined ? worldRealism(options.world) : parseServiceRealism(options.realism),
    ...(options.onError ? { onError: options.onError } : {}),
  });
}

/**
 * The seam between serving and simulating: what the server needs from whatever answers chat
 * requests. A simlm world is one (world-backend.ts); the serving layer knows nothing else about it.
 */
import type { Issue } from "@maspo/core";
import type { ChatResponseRequest, ChatResponseResult } from "./chat-completion-response.js";

export type PreparedChat =
  | {
      ok: true;
      request: ChatResponseRequest;
      /** The answer; pure, and computed only when a reply actually carries it. */
      simulate: () => ChatResponseResult;
    }
  | { ok: false; issues: Issue[] };

export interface ChatBackend {
  /** Names the world in logs and is folded into every completion id. */
  name: string;
  /** Listed by `GET /v1/models`; chat requests may name any model. */
  modelIds: readonly string[];
  /** Validate a parsed JSON request body. */
  prepare(body: unknown): PreparedChat;
}

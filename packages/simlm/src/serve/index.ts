/** simlm's serving layer: the OpenAI-compatible HTTP server, the in-process fetch, and service realism. */
export type { ChatBackend, PreparedChat } from "./chat-backend.js";
export type { ChatResponseRequest, ChatResponseResult, ChatUsage } from "./chat-completion-response.js";
export {
  listenSimServer,
  SimServerError,
  STATS_PATH,
  startSimServer,
  type SimHttpServer,
  type SimServerOptions,
  type StartSimServerOptions,
} from "./http-server.js";
export { RPM_WINDOW_MS, RpmCap, RpmCapStatsSchema, type RpmCapStats } from "./rpm-cap.js";
export { createSimFetch, IN_PROCESS_BASE_URL, simFetch, type SimFetch } from "./in-process-fetch.js";
export type { OpenAIErrorBody } from "./openai-error.js";
export {
  applyRealismOverrides,
  NO_REALISM,
  parseServiceRealism,
  ServiceRealismSchema,
  type FaultKind,
  type ServiceRealism,
  type ServiceRealismInput,
  type ServiceRealismOverrides,
} from "./service-realism.js";
export { openRequestLog, RequestLogError, type RequestLog, type RequestLogEntry } from "./request-log.js";
export { createSimService, type ReplySink, type SimRequest, type SimService, type SimServiceOptions } from "./sim-service.js";
export { createWorldService, worldBackend, worldRealism, type SimWorldOptions } from "./world-service.js";

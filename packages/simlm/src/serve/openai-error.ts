/**
 * Errors in OpenAI's wire shape (`{ error: { message, type, param, code } }`) with the HTTP status a
 * client's retry logic keys on, so the real `openai` SDK raises its usual error classes.
 */
import { formatIssue, type Issue } from "@maspo/core";

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface OpenAIErrorReply {
  status: number;
  body: OpenAIErrorBody;
  /** Extra response headers (e.g. Retry-After on 429). */
  headers?: Record<string, string>;
}

function reply(
  status: number,
  type: string,
  code: string | null,
  message: string,
  param: string | null = null,
  headers?: Record<string, string>,
): OpenAIErrorReply {
  return { status, body: { error: { message, type, param, code } }, ...(headers ? { headers } : {}) };
}

export function invalidJsonError(detail: string): OpenAIErrorReply {
  return reply(
    400,
    "invalid_request_error",
    "invalid_json",
    `The request body is not valid JSON (${detail}). Send a JSON object with "model" and "messages".`,
  );
}

/** A request body that parsed but does not fit the schema: every issue, each with its path. */
export function invalidRequestError(issues: readonly Issue[]): OpenAIErrorReply {
  const lines = issues.map((i) => `- ${formatIssue(i)}`).join("\n");
  const count = `${issues.length} problem${issues.length === 1 ? "" : "s"}`;
  return reply(400, "invalid_request_error", "invalid_request_body", `Invalid request body, ${count}:\n${lines}`, issues[0]?.path ?? null);
}

export function unknownRouteError(method: string, path: string): OpenAIErrorReply {
  return reply(
    404,
    "invalid_request_error",
    "unknown_url",
    `Unknown request URL: ${method} ${path}. simlm serves GET /v1/models, GET /v1/models/{model} and POST /v1/chat/completions.`,
  );
}

export function methodNotAllowedError(method: string, path: string, allowed: string): OpenAIErrorReply {
  return reply(405, "invalid_request_error", "method_not_allowed", `${method} is not allowed on ${path}; use ${allowed}.`, null, {
    allow: allowed,
  });
}

export function modelNotFoundError(model: string, known: readonly string[]): OpenAIErrorReply {
  return reply(
    404,
    "invalid_request_error",
    "model_not_found",
    `The model '${model}' does not exist here; this simlm world lists: ${known.join(", ")}.`,
    "model",
  );
}

export function bodyTooLargeError(limitBytes: number): OpenAIErrorReply {
  return reply(413, "invalid_request_error", "request_too_large", `The request body exceeds ${limitBytes} bytes.`);
}

export function rateLimitError(reason: string, headers: Record<string, string>): OpenAIErrorReply {
  return reply(429, "requests", "rate_limit_exceeded", reason, null, headers);
}

export function serverError(message: string): OpenAIErrorReply {
  return reply(500, "server_error", null, message);
}

/**
 * The fields of an OpenAI chat-completions request body that simlm reads. Everything else a client
 * sends (user, metadata, tools...) is allowed and ignored: nothing outside `messages` and the
 * sampling parameters carries meaning.
 */
import { z } from "zod";

const TextPart = z.looseObject({ type: z.literal("text"), text: z.string() });
const OtherPart = z.looseObject({ type: z.string() });

export const ChatMessageSchema = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  content: z.union([z.string(), z.array(z.union([TextPart, OtherPart])), z.null()]).optional(),
});

export const ChatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(ChatMessageSchema).min(1),
  n: z.int().min(1).max(128).optional(),
  seed: z.int().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_tokens: z.int().min(1).optional(),
  max_completion_tokens: z.int().min(1).optional(),
  response_format: z.looseObject({ type: z.enum(["text", "json_object", "json_schema"]) }).optional(),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
});

export type ChatRequest = z.infer<typeof ChatRequestSchema>;
export type ChatRequestMessage = z.infer<typeof ChatMessageSchema>;

/** A message's text: a string, or its text parts joined (other parts carry nothing simlm reads). */
export function messageText(message: ChatRequestMessage): string {
  const c = message.content;
  if (c === undefined || c === null) return "";
  if (typeof c === "string") return c;
  return c
    .map((p) => (p.type === "text" && typeof p.text === "string" ? p.text : ""))
    .filter((t) => t.length > 0)
    .join("\n");
}

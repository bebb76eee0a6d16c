/**
 * Reading an agent call's user message back into its parts: the task and each predecessor's output.
 * It inverts `buildAgentUserMessage` (@maspo/core), so a trace's recorded context can be shown to the
 * judge and the optimizer section by section without keeping a second copy of the inputs.
 */
import type { UpstreamOutput } from "./agent-messages.js";

export interface AgentContextParts {
  task: string;
  upstream: UpstreamOutput[];
}

const OUTPUT_HEADER = /\n\n## Output of ([^\n]+)\n/g;

export function splitAgentContext(context: string): AgentContextParts {
  const body = context.startsWith("## Task\n") ? context.slice("## Task\n".length) : context;
  const headers = [...body.matchAll(OUTPUT_HEADER)];
  const first = headers[0];
  const task = (first ? body.slice(0, first.index) : body).trim();
  const upstream = headers.map((h, i) => {
    const start = (h.index ?? 0) + h[0].length;
    const next = headers[i + 1];
    return { agentId: (h[1] ?? "").trim(), output: body.slice(start, next ? next.index : undefined).trim() };
  });
  return { task, upstream };
}

/** Predecessor outputs in the agent-call layout (`## Output of <id>`), for a judge's or optimizer's Context. */
export function renderUpstream(upstream: readonly UpstreamOutput[]): string {
  return upstream.map((u) => `## Output of ${u.agentId}\n${u.output.trim()}`).join("\n\n");
}

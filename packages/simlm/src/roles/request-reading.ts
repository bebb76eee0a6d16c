/**
 * What simlm read in a request, said out loud: which role answers it and, for an agent call, the
 * agent, the task, the predecessors' outputs (by their features) and the directives it found. It is
 * what `maspo sim serve --log-requests` writes beside each request, so a framework's layout that
 * simlm misreads shows up in the log rather than as a mysteriously weak agent. It decides the role
 * the way simulateChat answers (judge, optimizer, agent, generic assistant) and changes nothing.
 */
import { requestContext } from "./chat-context.js";
import { judgeReply } from "./judge-role.js";
import { optimizerReply } from "./optimizer-role.js";
import { readAgentRequest } from "../reading/agent-request.js";
import type { ChatRequest } from "../reading/chat-request.js";
import { readOutput } from "../reading/output-reading.js";
import { detectDirectives } from "../reading/prompt-reading.js";
import { compileWorld } from "../world/compiled-world.js";
import { recogniseProblem } from "../world/problem.js";
import type { World } from "../world/world-schema.js";

export interface AgentCallReading {
  /** The world agent recognised from the instruction. */
  agent: string;
  layout: "sections" | "fields" | "plain";
  task: string;
  /** The task is one of the world's problems (else the agent answers like a generic assistant). */
  problemKnown: boolean;
  /** Each predecessor part by its label, with the world features read in it. */
  upstream: Array<{ label: string; features: string[] }>;
  directives: string[];
  demos: number;
  /** Present when a framework's boilerplate was set aside: the instruction read in its place. */
  instruction?: string;
}

export interface RequestReading {
  role: "judge" | "optimizer" | "agent" | "generic";
  agent?: AgentCallReading;
}

export function readChatRequest(world: World, request: ChatRequest): RequestReading {
  const cw = compileWorld(world);
  const ctx = requestContext(cw, request, 0);
  if (judgeReply(ctx) !== undefined) return { role: "judge" };
  if (optimizerReply(ctx) !== undefined) return { role: "optimizer" };
  const reading = readAgentRequest(cw, ctx.system, ctx.turns);
  if (!reading.agent) return { role: "generic" };
  const problem = recogniseProblem(cw.templates, reading.task);
  return {
    role: "agent",
    agent: {
      agent: reading.agent.id,
      layout: reading.layout,
      task: reading.task,
      problemKnown: problem !== undefined,
      upstream: reading.upstream.map((s) => ({ label: s.heading, features: [...readOutput(cw, s.body, problem).features] })),
      directives: [...detectDirectives(reading.agent, reading.instruction)].sort(),
      demos: reading.demos,
      ...(reading.boilerplate ? { instruction: reading.instruction } : {}),
    },
  };
}
